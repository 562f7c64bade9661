import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Stack, Token } from 'aws-cdk-lib';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DEPLOYED_DOCUMENT_VERSION } from '../functions/adapters/aws/ssm-command-runner.ts';
import { type Runbook, runbookScripts } from '../functions/core/runbook.ts';
import { runbookDocumentContent } from '../runbooks/ssm-document.ts';

export { DEPLOYED_DOCUMENT_VERSION };

/** SSM document names: 3 to 128 of these characters (SSM API model, CreateDocument `Name`). */
const DOCUMENT_NAME = /^[a-zA-Z0-9_.-]{3,128}$/;
/** SSM reserves these prefixes for documents owned by AWS. */
const RESERVED_PREFIX = /^(aws|amazon|amzn)/i;
/** Command documents are limited to 64 KB of content. */
const MAX_CONTENT_BYTES = 64 * 1024;

/** The part of a document's name that changes with its content. */
export function contentTag(content: unknown): string {
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 10);
}

/**
 * The document name of a runbook (`<prefix><runbook>-<content tag>`), validated so that a bad prefix
 * fails the synth and not the deploy.
 */
export function runbookDocumentName(prefix: string, runbook: Runbook, tag?: string): string {
  const name = `${prefix}${runbook.name}${tag ? `-${tag}` : ''}`;
  if (Token.isUnresolved(name)) return name;
  if (!DOCUMENT_NAME.test(name)) {
    throw new Error(
      `SSM document name "${name}" for runbook "${runbook.name}" is invalid: use 3 to 128 letters, digits, ` +
        "'_', '-' or '.'; change documentNamePrefix (or the stack name it defaults to).",
    );
  }
  if (RESERVED_PREFIX.test(name)) {
    throw new Error(
      `SSM document name "${name}" starts with a prefix SSM reserves for AWS (aws, amazon, amzn); ` +
        'choose another documentNamePrefix.',
    );
  }
  return name;
}

/** Options of the runbook documents. */
export interface RunbookDocumentsProps {
  /** The runbooks to publish, one document each. */
  readonly runbooks: readonly Runbook[];
  /** The folder that holds `<runbook name>/<script>` for every script of each runbook. */
  readonly runbooksDirectory: string;
  /**
   * Prepended to each runbook name to make its document name.
   * @default `<stack name>-<path of the engine in the stack>-`, unique per engine in an account and Region
   */
  readonly documentNamePrefix?: string;
}

/**
 * One SSM Command document per runbook, generated at synth from the runbooks the engine deploys and
 * named after its content: a changed runbook is a new document, and commands run version
 * {@link DEPLOYED_DOCUMENT_VERSION} of it, so nothing changed outside a deploy ever runs.
 */
export class RunbookDocuments extends Construct {
  /** The documents, by runbook name. */
  readonly documents: Readonly<Record<string, ssm.CfnDocument>>;
  /** The document names, by runbook name (the handlers' RUNBOOK_DOCUMENTS). */
  readonly documentNames: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RunbookDocumentsProps) {
    super(scope, id);
    const prefix = props.documentNamePrefix ?? defaultPrefix(scope === Stack.of(this) ? this : scope);
    const documents: Record<string, ssm.CfnDocument> = {};
    const names: Record<string, string> = {};
    for (const runbook of props.runbooks) {
      if (documents[runbook.name]) throw new Error(`runbook "${runbook.name}" is registered twice; keep one`);
      const content = runbookDocumentContent(runbook, readScripts(props.runbooksDirectory, runbook));
      if (Buffer.byteLength(JSON.stringify(content)) > MAX_CONTENT_BYTES) {
        throw new Error(
          `runbook "${runbook.name}": its document exceeds SSM's 64 KB; move work into smaller steps`,
        );
      }
      names[runbook.name] = runbookDocumentName(prefix, runbook, contentTag(content));
      // A new name on every change: CloudFormation creates the new document, then deletes the old one.
      documents[runbook.name] = new ssm.CfnDocument(this, runbook.name, {
        name: names[runbook.name],
        documentType: 'Command',
        documentFormat: 'JSON',
        content,
      });
    }
    this.documents = documents;
    this.documentNames = names;
  }

  /** The ARNs of this stack's documents, for `ssm:SendCommand`. */
  documentArns(): string[] {
    const stack = Stack.of(this);
    return Object.values(this.documentNames).map((name) =>
      stack.formatArn({ service: 'ssm', resource: 'document', resourceName: name }),
    );
  }
}

/** `<stack name>-<the owner's path in its stack>-` (the engine's): two engines never share a document name. */
function defaultPrefix(engine: Construct): string {
  const stack = Stack.of(engine);
  const path = engine.node.scopes
    .slice(engine.node.scopes.indexOf(stack) + 1)
    .map((scope) => scope.node.id.replace(/[^a-zA-Z0-9_.-]+/g, '-'))
    .join('-');
  return `${stack.stackName}-${path}-`;
}

function readScripts(directory: string, runbook: Runbook): Record<string, string> {
  const scripts: Record<string, string> = {};
  for (const file of runbookScripts(runbook)) {
    const path = join(directory, runbook.name, file);
    try {
      scripts[file] = readFileSync(path, 'utf8');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `runbook "${runbook.name}": cannot read its script ${path} (${reason}); ` +
          'create it or fix the file name in the runbook definition',
      );
    }
  }
  return scripts;
}
