/**
 * A list as loaded, with each record replaced by the copy a save answered with when that copy is newer
 * (`updatedAt`): the page shows what was saved at once, and a later load (newer still) takes over again.
 */
export function withSaved<Entry extends { id: string; updatedAt: string }>(
  items: readonly Entry[],
  saved: ReadonlyMap<string, Entry>,
): Entry[] {
  return items.map((item) => {
    const copy = saved.get(item.id);
    return copy && Date.parse(copy.updatedAt) > Date.parse(item.updatedAt) ? copy : item;
  });
}
