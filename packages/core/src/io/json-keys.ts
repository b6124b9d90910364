/**
 * JSON.parse keeps the last of two equal keys in an object without a word, so a header could
 * say one thing to this loader and another to a reader that keeps the first. This scan finds
 * such a key and counts object entries, stopping past `maxEntries`, so that a header of
 * millions of tiny entries is refused before JSON.parse builds it. Text that is not JSON ends
 * the scan early; JSON.parse then reports it.
 */
export interface JsonKeyScan {
  /** The first key that repeats inside one object, with the path of that object. */
  duplicate: { key: string; path: string } | null;
  /** Object entries in the whole text (counting stops past maxEntries). */
  entries: number;
}

export function scanJsonKeys(text: string, maxEntries = Number.POSITIVE_INFINITY): JsonKeyScan {
  // Each open container: the keys seen so far (objects) or null (arrays), and its path.
  const stack: { keys: Set<string> | null; path: string }[] = [];
  let expectKey = false;
  let entries = 0;
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      let escaped = false;
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\') {
          escaped = true;
          j++;
        }
        j++;
      }
      if (j >= text.length) break; // not JSON: JSON.parse says why
      const top = stack[stack.length - 1];
      if (expectKey && top?.keys) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (top.keys.has(key)) return { duplicate: { key, path: top.path }, entries };
        top.keys.add(key);
        if (++entries > maxEntries) return { duplicate: null, entries };
        lastKey = key;
        expectKey = false;
      }
      i = j;
    } else if (ch === '{' || ch === '[') {
      const parent = stack[stack.length - 1];
      const path = parent ? `${parent.path}${parent.keys ? `.${lastKey}` : '[]'}` : '';
      stack.push({ keys: ch === '{' ? new Set() : null, path });
      expectKey = ch === '{';
    } else if (ch === '}' || ch === ']') {
      if (stack.pop() === undefined) break;
    } else if (ch === ',') {
      expectKey = stack[stack.length - 1]?.keys != null;
    }
  }
  return { duplicate: null, entries };
}
