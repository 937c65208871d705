/** Text for messages. */

/**
 * A list for a one-line message: the first `max` items and how many more. A 100-cluster fleet has
 * 9,900 link pairs; a message that names them all is not read.
 */
export function someOf(items: readonly string[], max: number): string {
  return items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}
