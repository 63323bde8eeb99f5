/**
 * The value under `key`, storing `create()` there first when there is none: the group-by step
 * of building an index (`getOrCreate(byGene, gene, () => []).push(edge)`), without a non-null
 * assertion after a `has`/`set`.
 */
export function getOrCreate<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = create();
    map.set(key, value);
  }
  return value;
}
