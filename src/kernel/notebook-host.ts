// What the kernel lends the library's loop monitor: displays it can update in place under the
// cell that made them (display ids, `update_display_data`), the cell that started a task (from
// the task's context), and an end for a live display when its cell is run again: a monitor
// left running from an earlier run would otherwise go on updating a display nobody sees, next
// to the new run's.

import { noteSite, type LiveDisplay, type NotebookHost } from "../asyncio/host.js";
import type { Context } from "../asyncio/index.js";
import type { CellOutput, MimeBundle } from "./language.js";
import { cellVar } from "./output.js";

const HOST_KEY = Symbol.for("asyncio-ts.notebook");

/** The live displays of the kernel's cells, by the front end's cell id. */
export class LiveDisplays implements NotebookHost {
  private readonly _cellIds = new WeakMap<CellOutput, string>();
  private readonly _ends = new Map<string, (() => void)[]>();
  private readonly _siteLabels = new Map<string, string>();
  private _next = 0;

  /** Puts this host where the library looks for one. */
  install(): void {
    (globalThis as Record<symbol, unknown>)[HOST_KEY] = this;
  }

  /**
   * A cell begins: `cellId` (JupyterLab's id of the notebook cell, from the request's metadata)
   * is remembered for its output, and the live displays of the cell's earlier runs end.
   */
  cellStarted(cell: CellOutput, cellId: string | undefined): void {
    if (cellId === undefined) return;
    this._cellIds.set(cell, cellId);
    const ends = this._ends.get(cellId);
    this._ends.delete(cellId);
    for (const end of ends ?? []) {
      try {
        end();
      } catch {
        // An end callback that fails must not keep the cell from running.
      }
    }
  }

  /** A compiled cell's file, so that the wait sites its code notes read as `In[3], line 4`. */
  addCell(file: string, label: string): void {
    this._siteLabels.set(file, label);
  }

  /** What the compiled cells call before each `await` and `yield*`. */
  readonly site = (file: string, line: number): void => {
    noteSite(this._siteLabels.get(file) ?? file, line);
  };

  open(bundle: Record<string, string>): LiveDisplay | null {
    const cell = cellVar.get();
    if (cell === undefined) return null;
    const displayId = `asyncio-ts-live-${process.pid}-${++this._next}`;
    cell.display(bundle as MimeBundle, { displayId });
    const cellId = this._cellIds.get(cell);
    return {
      update: (b) => cell.display(b as MimeBundle, { displayId, update: true }),
      onEnd: (cb) => {
        if (cellId === undefined) return;
        const ends = this._ends.get(cellId);
        if (ends === undefined) this._ends.set(cellId, [cb]);
        else ends.push(cb);
      },
    };
  }

  describeContext(context: Context | undefined): string | null {
    const cell = context?.get(cellVar as never) as CellOutput | undefined;
    return cell === undefined ? null : `In[${cell.executionCount}]`;
  }
}
