<?php
// GET /: names the php-fpm worker that answered.
header('Content-Type: text/plain');
echo "hello from php-fpm worker " . getmypid() . "\n";
