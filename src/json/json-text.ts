/**
 * JSON text the upstream has already checked: a PostgreSQL `json` / `jsonb` value as the server
 * sent it. A JSON column stores it as it is, where any other JSON string is parsed once to be
 * checked (column-types.ts): parsing 1,000,000 `jsonb` cells into objects in the driver and
 * writing them back as text cost a cold fill seconds of work and most of its garbage.
 */
export class JsonText {
  constructor(readonly text: string) {}

  /** The value itself: what a JSON column holds, for a column of another type to judge. */
  value(): unknown {
    return JSON.parse(this.text);
  }

  /** `JSON.stringify` writes the value, not this wrapper. */
  toJSON(): unknown {
    return this.value();
  }
}
