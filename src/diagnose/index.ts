/**
 * The offline core of `sre-lab diagnose`: bundle parsing, deterministic analysis, redaction and
 * the model prompt. Pure library code with no I/O and no heavy dependencies (only `yaml`, for
 * parseBundle), so the CLI and the in-cluster agent can both bundle it.
 *
 * Typical flow:
 *   const bundle = redactBundle(parseBundle(text, file));   // or the live collector's bundle
 *   const findings = analyze(bundle);                       // findings[0] is the root cause
 *   const prompt = buildPrompt(bundle, findings);           // ≤ 1,200 tokens, redacted again
 */
export { analyze } from "./analyze/index.js";
export { parseBundle, type SerializeOptions, serializeBundle } from "./bundle.js";
export {
  buildPrompt,
  type ChatMessage,
  estimateChatTokens,
  estimateTokens,
  MAX_ANSWER_TOKENS,
  MIN_PROMPT_BUDGET_TOKENS,
  NUM_CTX,
  PROMPT_BUDGET_TOKENS,
  type Prompt,
  type PromptOptions,
  SYSTEM_PROMPT,
} from "./prompt.js";
export { isSecretName, REDACTED, redactBundle, redactText } from "./redact.js";
export * from "./types.js";
