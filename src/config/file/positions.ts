import { isMap, isPair, isScalar, isSeq, LineCounter, type Document, type Node } from 'yaml';

export interface Position { readonly line: number; readonly column: number }

/**
 * Where each value sits in the YAML text, by path ("programs.nginx.stop.signal"), so every
 * problem can be reported as file:line:column. A key's position is its value's, unless the
 * value is empty; a missing key falls back to its parent (see `locate`).
 */
export function positionsOf(document: Document, lines: LineCounter): Map<string, Position> {
  const positions = new Map<string, Position>();
  const at = (offset: number): Position => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  const walk = (node: Node | null | undefined, path: string, fallback: number) => {
    positions.set(path, at(node?.range?.[0] ?? fallback));
    if (isMap(node)) {
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        const keyStart = (pair.key as Node | null)?.range?.[0] ?? node.range?.[0] ?? fallback;
        walk(pair.value as Node | null, path === '' ? key : `${path}.${key}`, keyStart);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item as Node | null, `${path}.${i}`, node.range?.[0] ?? fallback));
    }
  };
  walk(document.contents as Node | null, '', 0);
  return positions;
}

/** The position of `path`, or of its nearest ancestor that exists. */
export function locate(positions: ReadonlyMap<string, Position>, path: string): Position {
  for (let p = path; ; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const found = positions.get(p);
    if (found) return found;
    if (p === '') return { line: 1, column: 1 };
  }
}
