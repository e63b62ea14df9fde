/**
 * Token counting for the fake Ollama, and the two ways real Ollama fits an oversized prompt into
 * `num_ctx` without telling the client.
 *
 * The tokenizer is a stand-in: real counts depend on the model's vocabulary. This one is deterministic,
 * lossless (the tokens joined give back the text, so an answer can be streamed token by token) and in
 * the right range (one token per word or punctuation mark; real BPE vocabularies give 1.2–1.5 per
 * English word, so tests must leave a margin rather than assert exact production counts).
 *
 * Overflow, as Ollama's server does it (server/prompt.go `chatPrompt`, runner `NewSequence`):
 * 1. /api/chat only: drop whole messages from the front, always keeping system messages and the last
 *    message, until the rendered prompt fits. Logged at DEBUG ("truncating input messages which exceed
 *    context length"), so invisible in a default log.
 * 2. Still too long (or /api/generate): the runner keeps the first `num_keep` tokens (default 4) and the
 *    tail, cutting the middle so exactly `num_ctx` tokens remain, and logs at WARN
 *    "truncating input prompt limit=… prompt=… keep=… new=…".
 * Either way the HTTP answer is a normal 200 and `prompt_eval_count` is the truncated size.
 */

const TOKEN = /\s*<\|[a-z_]+\|>|\s*[\p{L}\p{N}_]+|\s*[^\s\p{L}\p{N}_]|\s+/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function countTokens(text: string): number {
  return tokenize(text).length;
}

export interface PromptMessage {
  role: string;
  content: string;
}

/** A phi3-style chat template: `<|role|>\ncontent<|end|>\n` per message, then the assistant header. */
export function renderChatPrompt(messages: readonly PromptMessage[]): string {
  return `${messages.map((m) => `<|${m.role}|>\n${m.content}<|end|>\n`).join("")}<|assistant|>\n`;
}

export interface Truncation {
  /** The context size in effect (`options.num_ctx`, or the server default when not sent). */
  numCtx: number;
  /** Tokens the whole prompt needed. */
  promptTokens: number;
  /** Whole messages dropped from the front of a chat (Ollama logs this at DEBUG only). */
  messagesDropped: number;
  /** Tokens the model actually saw: what `prompt_eval_count` reports. */
  keptTokens: number;
  /** The WARN line Ollama's runner logs when it cuts tokens; undefined when only messages were dropped. */
  warning: string | undefined;
}

export interface PromptFit {
  /** Tokens evaluated, reported as `prompt_eval_count`. */
  tokens: number;
  /** Set when Ollama would have silently cut the prompt. */
  truncation: Truncation | undefined;
}

export function fitChatPrompt(
  messages: readonly PromptMessage[],
  numCtx: number,
  numKeep: number,
): PromptFit {
  const promptTokens = countTokens(renderChatPrompt(messages));
  if (promptTokens <= numCtx) return { tokens: promptTokens, truncation: undefined };

  let start = messages.length - 1;
  let kept: PromptMessage[] = messages.slice(start);
  for (let i = 0; i < messages.length; i++) {
    const skippedSystem = messages.slice(0, i).filter((m) => m.role === "system");
    const candidate = [...skippedSystem, ...messages.slice(i)];
    if (countTokens(renderChatPrompt(candidate)) <= numCtx || i === messages.length - 1) {
      start = i;
      kept = candidate;
      break;
    }
  }
  const messagesDropped = messages.slice(0, start).filter((m) => m.role !== "system").length;
  const afterDrop = countTokens(renderChatPrompt(kept));
  return cutTokens(promptTokens, afterDrop, numCtx, numKeep, messagesDropped);
}

export function fitRawPrompt(prompt: string, numCtx: number, numKeep: number): PromptFit {
  const promptTokens = countTokens(prompt);
  if (promptTokens <= numCtx) return { tokens: promptTokens, truncation: undefined };
  return cutTokens(promptTokens, promptTokens, numCtx, numKeep, 0);
}

function cutTokens(
  promptTokens: number,
  tokens: number,
  numCtx: number,
  numKeep: number,
  messagesDropped: number,
): PromptFit {
  if (tokens <= numCtx) {
    return {
      tokens,
      truncation: { numCtx, promptTokens, messagesDropped, keptTokens: tokens, warning: undefined },
    };
  }
  const keep = Math.min(Math.max(numKeep, 0), numCtx - 1);
  const warning = `truncating input prompt limit=${numCtx} prompt=${tokens} keep=${keep} new=${numCtx}`;
  return {
    tokens: numCtx,
    truncation: { numCtx, promptTokens, messagesDropped, keptTokens: numCtx, warning },
  };
}
