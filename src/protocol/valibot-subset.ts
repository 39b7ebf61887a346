/**
 * The part of valibot that `protocol.ts` uses, for the widget's bundle only (build/stand-ins.ts serves this module
 * for `valibot` there; the server, the tests and the type checker use valibot itself). valibot's own code for
 * these 18 functions is 1.9 KB gzip in the bundle, most of it generality the protocol never asks for: async
 * schemas, i18n of messages, fallbacks and defaults, the Standard Schema interface, caching.
 *
 * What this keeps is what `parse()` in protocol.ts reads of a result: whether it succeeded, the output (objects
 * rebuilt with only their known keys, as valibot strips the others), and the first issue's message and path,
 * worded as valibot words it. It is held to that by test/server/valibot-subset.test.ts, which runs every schema
 * of the protocol through both on valid, mutated and hostile inputs.
 *
 * Semantics follow valibot 1.x: a schema issue makes a value untyped and ends its pipe; a validation issue
 * keeps it typed, and later validations of the pipe still run (so `typed` is right for a union that holds
 * it); objects and arrays look at every entry, not only up to the first issue, for the same reason.
 *
 * Every builder is marked free of side effects, as valibot's are, so that a schema the widget never uses (the
 * join request, which only the server parses) drops out of the bundle.
 */

interface PathItem {
  key: string | number;
}

interface Issue {
  message: string;
  path?: PathItem[];
}

interface Dataset {
  value: unknown;
  typed: boolean;
  issue?: Issue;
}

/** What every schema and validation here is: what it expects (for messages) and how it runs. */
interface Item {
  kind: 'schema' | 'validation';
  expects: string | null;
  entries?: Record<string, Item>;
  run(dataset: Dataset): Dataset;
}

/** How valibot names a received value in a message. */
function stringify(input: unknown): string {
  const type = typeof input;
  if (type === 'string') return `"${input as string}"`;
  if (type === 'number' || type === 'bigint' || type === 'boolean') return `${input as number}`;
  if (type === 'object' || type === 'function') {
    // valibot: `(input && prototype?.constructor?.name) ?? 'null'`, so a nameless class gives ''.
    return input ? ((Object.getPrototypeOf(input) as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'null') : 'null';
  }
  return type;
}

const joinExpects = (values: (string | null)[]) => {
  const list = [...new Set(values)];
  return list.length > 1 ? `(${list.join(' | ')})` : (list[0] ?? 'never');
};

/** Records an issue (the first one only: it is all `parse()` shows) in valibot's default wording or `message`. */
function addIssue(item: Item, label: string, dataset: Dataset, message: string | undefined, received = stringify(dataset.value), path?: PathItem[], expected = item.expects): void {
  dataset.issue ??= { message: message ?? `Invalid ${label}: ${expected ? `Expected ${expected} but r` : 'R'}eceived ${received}`, path };
  if (item.kind === 'schema') dataset.typed = false;
}

/** A schema that only checks the type of its value. */
function typeSchema(expects: string, test: (value: unknown) => boolean, message?: string): Item {
  const item: Item = {
    kind: 'schema',
    expects,
    run: (dataset) => (test(dataset.value) ? ((dataset.typed = true), dataset) : (addIssue(item, 'type', dataset, message), dataset)),
  };
  return item;
}

/* @__NO_SIDE_EFFECTS__ */
export const string = (message?: string): Item => typeSchema('string', (v) => typeof v === 'string', message);
/* @__NO_SIDE_EFFECTS__ */
export const number = (message?: string): Item => typeSchema('number', (v) => typeof v === 'number' && !Number.isNaN(v), message);
/* @__NO_SIDE_EFFECTS__ */
export const boolean = (message?: string): Item => typeSchema('boolean', (v) => typeof v === 'boolean', message);
/* @__NO_SIDE_EFFECTS__ */
export const picklist = (options: readonly unknown[], message?: string): Item =>
  typeSchema(joinExpects(options.map(stringify)), (v) => options.includes(v), message);

/** The issues of an entry of an object or array go up with its key in front of their path. */
function nested(parent: Dataset, child: Dataset, key: string | number): void {
  if (child.issue && !parent.issue) parent.issue = { ...child.issue, path: [{ key }, ...(child.issue.path ?? [])] };
  if (!child.typed) parent.typed = false;
}

/* @__NO_SIDE_EFFECTS__ */
export function object(entries: Record<string, Item>, message?: string): Item {
  const item: Item = {
    kind: 'schema',
    expects: 'Object',
    entries,
    run(dataset) {
      const input = dataset.value as Record<string, unknown>;
      if (!input || typeof input !== 'object') return addIssue(item, 'type', dataset, message), dataset;
      dataset.typed = true;
      const output: Record<string, unknown> = {};
      for (const key in entries) {
        const schema = entries[key]!;
        if (key in input) {
          const child = schema.run({ value: input[key], typed: false });
          nested(dataset, child, key);
          output[key] = child.value;
        } else if (!(schema as { optional?: boolean }).optional) {
          addIssue(item, 'key', dataset, message, 'undefined', [{ key }], `"${key}"`);
        }
      }
      dataset.value = output;
      return dataset;
    },
  };
  return item;
}

/* @__NO_SIDE_EFFECTS__ */
export function array(itemSchema: Item, message?: string): Item {
  const item: Item = {
    kind: 'schema',
    expects: 'Array',
    run(dataset) {
      const input = dataset.value;
      if (!Array.isArray(input)) return addIssue(item, 'type', dataset, message), dataset;
      dataset.typed = true;
      dataset.value = input.map((value: unknown, key) => {
        const child = itemSchema.run({ value, typed: false });
        nested(dataset, child, key);
        return child.value;
      });
      return dataset;
    },
  };
  return item;
}

/** `undefined` (or, in an object, a missing key) passes; anything else goes to `wrapped`. */
/* @__NO_SIDE_EFFECTS__ */
export const optional = (wrapped: Item): Item =>
  Object.assign(skipping(wrapped, undefined, `(${wrapped.expects} | undefined)`), { optional: true });
/* @__NO_SIDE_EFFECTS__ */
export const nullable = (wrapped: Item): Item => skipping(wrapped, null, `(${wrapped.expects} | null)`);

function skipping(wrapped: Item, passes: unknown, expects: string): Item {
  return { kind: 'schema', expects, run: (dataset) => (dataset.value === passes ? ((dataset.typed = true), dataset) : wrapped.run(dataset)) };
}

/** The first option that passes; else, as valibot: the one option that got the type right, or the union's own issue. */
/* @__NO_SIDE_EFFECTS__ */
export function union(options: Item[], message?: string): Item {
  const item: Item = {
    kind: 'schema',
    expects: joinExpects(options.map((o) => o.expects)),
    run(dataset) {
      const typed: Dataset[] = [];
      const untyped: Dataset[] = [];
      for (const option of options) {
        const result = option.run({ value: dataset.value, typed: false });
        if (result.typed && !result.issue) return result;
        (result.typed ? typed : untyped).push(result);
      }
      if (typed.length === 1) return typed[0]!;
      if (!typed.length && untyped.length === 1) return untyped[0]!;
      addIssue(item, 'type', dataset, message);
      dataset.typed = typed.length > 0;
      return dataset;
    },
  };
  return item;
}

/* @__NO_SIDE_EFFECTS__ */
export function pipe(first: Item, ...rest: Item[]): Item {
  return {
    ...first,
    run(dataset) {
      dataset = first.run(dataset);
      for (const item of rest) {
        if (dataset.issue && item.kind === 'schema') return (dataset.typed = false), dataset;
        dataset = item.run(dataset);
      }
      return dataset;
    },
  };
}

/** A validation of a typed value: `fails` says whether it fails and, if so, how valibot says what it received. */
function validation(expects: string | null, label: string, fails: (value: never) => string | false, message?: string): Item {
  const item: Item = {
    kind: 'validation',
    expects,
    run(dataset) {
      const received = dataset.typed && fails(dataset.value as never);
      if (received !== false) addIssue(item, label, dataset, message, received);
      return dataset;
    },
  };
  return item;
}

/* @__NO_SIDE_EFFECTS__ */
export const regex = (pattern: RegExp, message?: string): Item =>
  validation(`${pattern}`, 'format', (value: string) => !pattern.test(value) && stringify(value), message);
/* @__NO_SIDE_EFFECTS__ */
export const integer = (message?: string): Item => validation(null, 'integer', (value: number) => !Number.isInteger(value) && stringify(value), message);
/* @__NO_SIDE_EFFECTS__ */
export const minValue = (min: number, message?: string): Item =>
  validation(`>=${stringify(min)}`, 'value', (value: number) => !(value >= min) && stringify(value), message);
/* @__NO_SIDE_EFFECTS__ */
export const maxValue = (max: number, message?: string): Item =>
  validation(`<=${stringify(max)}`, 'value', (value: number) => !(value <= max) && stringify(value), message);
/* @__NO_SIDE_EFFECTS__ */
export const minLength = (min: number, message?: string): Item =>
  validation(`>=${min}`, 'length', (value: string) => value.length < min && `${value.length}`, message);
/* @__NO_SIDE_EFFECTS__ */
export const maxLength = (max: number, message?: string): Item =>
  validation(`<=${max}`, 'length', (value: string) => value.length > max && `${value.length}`, message);
/* @__NO_SIDE_EFFECTS__ */
export const check = (requirement: (value: never) => boolean, message?: string): Item =>
  validation(null, 'input', (value: never) => !requirement(value) && stringify(value), message);

/* @__NO_SIDE_EFFECTS__ */
export function safeParse(schema: Item, input: unknown): { success: boolean; output: unknown; issues?: Issue[] } {
  const { value, issue } = schema.run({ value: input, typed: false });
  return { success: !issue, output: value, issues: issue && [issue] };
}
