<?php
// GET /slow.php?ms=N: sleeps N milliseconds (at most 30000), then answers 200. A stand-in for a
// request that is in progress when the container is told to stop.
$ms = max(0, min(30000, (int)($_GET['ms'] ?? 0)));
usleep($ms * 1000);
header('Content-Type: text/plain');
echo "slept {$ms} ms in php-fpm worker " . getmypid() . "\n";
