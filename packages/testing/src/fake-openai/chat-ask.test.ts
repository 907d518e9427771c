import { describe, expect, it } from 'vitest';
import { askRequest, groundedAnswer } from './chat-ask.ts';

const passage = {
  id: 'soup:segment:0.5',
  video: 'soup',
  start: 0.5,
  end: 25.5,
  text: 'Welcome to the kitchen. Today we make a tomato soup. First we slice four red tomatoes on a wooden board. Next we add two cloves of garlic and an onion.',
};
const request = (question: string) =>
  askRequest([
    { role: 'system', content: 'Answer from the passages. Reply as JSON.' },
    { role: 'user', content: JSON.stringify({ question, passages: [passage] }) },
  ])!;

describe("the fake's grounded answer", () => {
  it('says the time it cites: the quoted sentence placed by its position in the passage, not the passage start', () => {
    const reply = groundedAnswer(request('Which tomatoes are sliced?'), 'grounded');
    const [citation] = reply.citations;
    expect(citation).toMatchObject({
      passage_id: passage.id,
      quote: 'First we slice four red tomatoes on a wooden board.',
    });
    // Inside the passage, after its start: the sentence is the third of four.
    expect(citation!.t_start).toBeGreaterThan(passage.start + 5);
    expect(citation!.t_end).toBeLessThanOrEqual(passage.end);
    expect(citation!.t_start).toBeLessThan(citation!.t_end);
    const mmss = `${String(Math.floor(citation!.t_start / 60)).padStart(2, '0')}:${String(Math.floor(citation!.t_start % 60)).padStart(2, '0')}`;
    expect(reply.answer).toBe(
      `According to video soup at ${mmss}: First we slice four red tomatoes on a wooden board.`,
    );
  });

  it('cites the passage start for its first sentence', () => {
    const reply = groundedAnswer(request('Where is the kitchen?'), 'grounded');
    expect(reply.citations[0]).toMatchObject({ t_start: 0.5, quote: 'Welcome to the kitchen.' });
    expect(reply.answer).toMatch(/ at 00:00: Welcome to the kitchen\.$/);
  });
});
