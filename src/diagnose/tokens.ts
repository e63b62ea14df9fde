/**
 * A conservative token estimate for Phi-3 mini, whose tokenizer is Llama 2's SentencePiece
 * (32k vocabulary, byte fallback). No tokenizer ships with the CLI, so the prompt budget is kept
 * with a heuristic that errs on the high side:
 *
 *  - every digit is one token (Llama splits numbers into single digits — timestamps, IPs and
 *    UUIDs cost about one token per character, far more than chars/4);
 *  - every punctuation or symbol character is one token;
 *  - every line break is one token; a space is free (merged into the next piece), except runs;
 *  - letters are cut into words at case changes (CrashLoopBackOff → Crash Loop Back Off) and
 *    each word costs ceil(length / 4) tokens, at least 1;
 *  - a non-ASCII character costs 3 tokens (its UTF-8 bytes, by byte fallback).
 *
 * The result is never below ceil(chars / 3), the pessimistic rule of thumb for code and logs,
 * so a prompt within budget by this estimate is also within budget by chars/3.
 */

/** Tokens the chat template adds per message (role markers, end marker, line break). */
export const TOKENS_PER_MESSAGE = 6;
/** Tokens the template adds to open the assistant's answer. */
export const TOKENS_PER_REPLY = 4;

export function estimateTokens(text: string): number {
  let tokens = 0;
  let word = 0; // letters in the current word piece
  let previousUpper = false;
  let spaces = 0;
  const endWord = () => {
    if (word > 0) tokens += Math.max(1, Math.ceil(word / 4));
    word = 0;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const upper = c >= 65 && c <= 90;
    const lower = c >= 97 && c <= 122;
    if (upper || lower) {
      // A new word starts at an upper-case letter that follows a lower-case one.
      if (upper && word > 0 && !previousUpper) endWord();
      word++;
      previousUpper = upper;
      if (spaces > 1) tokens += Math.ceil((spaces - 1) / 4);
      spaces = 0;
      continue;
    }
    endWord();
    previousUpper = false;
    if (c === 32) {
      spaces++;
      continue;
    }
    if (spaces > 1) tokens += Math.ceil((spaces - 1) / 4);
    spaces = 0;
    if (c >= 0xd800 && c <= 0xdbff) {
      tokens += 4; // a surrogate pair: 4 UTF-8 bytes
      i++;
    } else if (c > 127) {
      tokens += c > 0x7ff ? 3 : 2;
    } else {
      tokens += 1; // digit, punctuation, symbol, tab, line break
    }
  }
  endWord();
  if (spaces > 1) tokens += Math.ceil((spaces - 1) / 4);
  return Math.max(tokens, Math.ceil(text.length / 3));
}

/** The whole chat: every message's content plus the template's overhead and the reply opener. */
export function estimateChatTokens(messages: readonly { content: string }[]): number {
  return messages.reduce((sum, m) => sum + estimateTokens(m.content) + TOKENS_PER_MESSAGE, TOKENS_PER_REPLY);
}
