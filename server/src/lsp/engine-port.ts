/**
 * The part of the validation engine that the LSP wiring uses. The engine
 * (server/src/validation/validation-engine.ts) satisfies it structurally; the
 * handlers depend on this port only, so they can be unit-tested and so the
 * wiring states exactly what it needs.
 */
import type { Finding, Position, Range } from '../findings.js';
import type { CompletionCandidate } from '../validation/validation-engine.js';

/** A completion proposal from the engine (defined by the engine). */
export type { CompletionCandidate };

/** Hover content from the engine. */
export interface HoverResult {
  markdown: string;
  range?: Range;
}

/** What the LSP layer needs from the validation engine. */
export interface ValidationEnginePort {
  /** Feeds a workspace file that other files depend on (kustomization, CRD); `undefined` removes it. */
  updateWorkspaceFile(path: string, text: string | undefined): void;
  /** Findings for one file's text. */
  validate(path: string, text: string): Finding[];
  hover(path: string, text: string, position: Position): HoverResult | undefined;
  complete(path: string, text: string, position: Position): CompletionCandidate[];
  /** Sets the target Kubernetes version (`gitopsLens.kubernetesVersion`; empty: the cluster's, else the newest bundled). */
  setKubernetesVersion?(version: string): string;
  /** How many YAML documents the last `validate` call really validated (the rest came from its cache), when the engine counts them. */
  readonly lastValidatedDocuments?: number;
}
