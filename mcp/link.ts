// The MCP server's one connection to the engine. An agent host may call tools concurrently, but replies on
// the connection are matched by address in arrival order (cli/session.ts), so calls take turns: each waits
// for the one before it to have its answer.
import { type Answer, Connection, runTranslation } from "../cli/session.ts";
import { translate, type Translation } from "../cli/language.ts";

/** The engine as the tools see it: one line or one message at a time, answers in plain words. */
export class EngineLink {
  #conn: Connection;
  #turn: Promise<unknown> = Promise.resolve();

  /** A link to the engine's OSC port at `host`:`port`. */
  constructor(host: string, port: number) {
    this.#conn = new Connection(host, port);
  }

  /** The engine's address, "host:port". */
  get target(): string {
    return this.#conn.target;
  }

  /** Runs one line of the text language (a line the language refuses is an error, nothing sent). */
  line(line: string, waitMs?: number): Promise<Answer> {
    let t: Translation;
    try {
      t = translate(line);
    } catch (e) {
      return Promise.resolve({ ok: false, text: "", errors: [(e as Error).message] });
    }
    return this.ask(t, waitMs);
  }

  /** Sends the messages and waits up to `waitMs` for the reply `t.expect` names; JSON replies parsed. */
  ask(t: Translation, waitMs?: number): Promise<Answer> {
    const run = this.#turn.then(() => runTranslation(this.#conn, t, false, waitMs));
    this.#turn = run.catch(() => {}); // the caller gets the failure; the next call still takes its turn
    return run;
  }

  /** Closes the connection. */
  close(): Promise<void> {
    return this.#conn.close();
  }
}
