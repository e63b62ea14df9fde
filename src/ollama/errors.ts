/**
 * What can go wrong talking to Ollama, as the user should read it: the message is one line saying what
 * failed, the hint one line saying what to do. Callers branch on the class (for example to show the
 * partial answer of a cut-off reply); only the CLI entry prints and exits.
 */
import { DeadlineError, SreLabError, type SreLabErrorOptions } from "../core/errors.js";

/** Nothing answered at the host: connection refused, DNS failure, reset, or no response before the deadline. */
export class OllamaUnreachableError extends SreLabError {
  override readonly name = "OllamaUnreachableError";
  readonly host: string;

  constructor(host: string, why: string, options: SreLabErrorOptions = {}) {
    super(`Ollama at ${host} is not answering (${why})`, {
      ...options,
      hint:
        options.hint ??
        `check that the lab is up and its Ollama port-forward is running; \`curl ${host}/api/version\` should print a version`,
    });
    this.host = host;
  }
}

/** Ollama answered, but does not have the model. */
export class OllamaModelMissingError extends SreLabError {
  override readonly name = "OllamaModelMissingError";
  readonly model: string;
  readonly host: string;

  constructor(model: string, host: string, options: SreLabErrorOptions = {}) {
    super(`model ${model} is not present in Ollama at ${host}`, {
      ...options,
      hint: options.hint ?? `pull it first: curl -s ${host}/api/pull -d '{"model":"${model}"}'`,
    });
    this.model = model;
    this.host = host;
  }
}

export interface PartialAnswer {
  /** The text received before the answer stopped; callers may show it, marked as incomplete. */
  partialText: string;
  /** Token chunks received before the answer stopped. */
  tokens: number;
}

/** The answer started but never finished: the connection dropped, or Ollama reported an error mid-stream. */
export class OllamaAnswerCutOffError extends SreLabError implements PartialAnswer {
  override readonly name = "OllamaAnswerCutOffError";
  readonly model: string;
  readonly partialText: string;
  readonly tokens: number;

  constructor(model: string, why: string, partial: PartialAnswer, options: SreLabErrorOptions = {}) {
    super(`the answer from ${model} was cut off after ${partial.tokens} tokens: ${why}`, {
      ...options,
      hint:
        options.hint ??
        "run it again; if it keeps happening, read the Ollama pod's log and check its memory limit (a killed runner drops the answer)",
    });
    this.model = model;
    this.partialText = partial.partialText;
    this.tokens = partial.tokens;
  }
}

/** A first-token or overall deadline passed; keeps whatever part of the answer had arrived. */
// `name` stays "DeadlineError": the base class types it as that literal, and callers test with instanceof.
export class OllamaDeadlineError extends DeadlineError implements PartialAnswer {
  readonly partialText: string;
  readonly tokens: number;

  constructor(message: string, partial: PartialAnswer, options: SreLabErrorOptions = {}) {
    super(message, options);
    this.partialText = partial.partialText;
    this.tokens = partial.tokens;
  }
}
