import { describe, expect, it } from 'vitest';
import { partialStringField } from './openai-chat.ts';

describe('partialStringField', () => {
  it('reads a string field as far as it has arrived, escapes included', () => {
    const full = JSON.stringify({ answer: 'He said "hi"\nthen left \u00e9', citations: [], found: true });
    const seen = [...full].map((_, i) => partialStringField(full.slice(0, i + 1), 'answer'));
    expect(seen.at(-1)).toBe('He said "hi"\nthen left é');
    // Every snapshot is a prefix of the final text: nothing is emitted twice or taken back.
    for (const s of seen) if (s !== undefined) expect('He said "hi"\nthen left é'.startsWith(s)).toBe(true);
    expect(partialStringField('{"found": true, "ans', 'answer')).toBeUndefined();
  });
});
