import type { Database } from './database.js';

/** A vehicle inside a yard, as the `yard_visits` table keeps it. */
export interface YardVisitRecord {
  /** The id of the visit's `yard.entered` event. */
  visitId: string;
  yardId: string;
  plate: string | null;
  /** The plate as written (spaces, dashes), for people. */
  display: string | null;
  pairedPlate: string | null;
  vehicleClass: string | null;
  /** Wall time of the passage, ms since the epoch. */
  enteredAt: number;
  entryLaneId: string;
  /** The decision that let it in, when there was one (a hand correction has none). */
  decisionId: string | null;
  /** How many of the yard's overstay thresholds have been alarmed. */
  overstayLevel: number;
}

/** A vehicle called forward to the crossing, as `yard_calls` keeps it. */
export interface YardCallRecord {
  /** The id of the `yard.call` event that made it. */
  callId: string;
  yardId: string;
  plate: string;
  calledAt: number;
  expiresAt: number;
  calledBy: string;
}

interface VisitRow {
  visit_id: string;
  yard_id: string;
  plate: string | null;
  display: string | null;
  paired_plate: string | null;
  vehicle_class: string | null;
  entered_at: number;
  entry_lane: string;
  decision_id: string | null;
  overstay_level: number;
}

interface CallRow {
  call_id: string;
  yard_id: string;
  plate: string;
  called_at: number;
  expires_at: number;
  called_by: string;
}

/**
 * The yards' standing state (src/yard): the open visits and the calls not yet used. The yard
 * writes these in the transaction of the event that changes them (`events.transaction`), so
 * they and the event history never disagree; a restart reads them back instead of replaying
 * history that retention may have deleted.
 */
export class YardRecords {
  private readonly sql;

  constructor(db: Database) {
    this.sql = {
      visits: db.prepare<[string], VisitRow>(
        'SELECT * FROM yard_visits WHERE yard_id = ? ORDER BY entered_at, visit_id',
      ),
      insertVisit: db.prepare<
        [string, string, string | null, string | null, string | null, string | null, number, string, string | null]
      >(
        `INSERT INTO yard_visits (visit_id, yard_id, plate, display, paired_plate, vehicle_class, entered_at, entry_lane, decision_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteVisit: db.prepare<[string]>('DELETE FROM yard_visits WHERE visit_id = ?'),
      overstay: db.prepare<[number, string]>('UPDATE yard_visits SET overstay_level = ? WHERE visit_id = ?'),
      calls: db.prepare<[string], CallRow>('SELECT * FROM yard_calls WHERE yard_id = ? ORDER BY called_at, call_id'),
      insertCall: db.prepare<[string, string, string, number, number, string]>(
        'INSERT INTO yard_calls (call_id, yard_id, plate, called_at, expires_at, called_by) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteCall: db.prepare<[string]>('DELETE FROM yard_calls WHERE call_id = ?'),
    };
  }

  /** The yard's open visits, oldest first. */
  openVisits(yardId: string): YardVisitRecord[] {
    return this.sql.visits.all(yardId).map((r) => ({
      visitId: r.visit_id,
      yardId: r.yard_id,
      plate: r.plate,
      display: r.display,
      pairedPlate: r.paired_plate,
      vehicleClass: r.vehicle_class,
      enteredAt: r.entered_at,
      entryLaneId: r.entry_lane,
      decisionId: r.decision_id,
      overstayLevel: r.overstay_level,
    }));
  }

  addVisit(v: Omit<YardVisitRecord, 'overstayLevel'>): void {
    this.sql.insertVisit.run(
      v.visitId,
      v.yardId,
      v.plate,
      v.display,
      v.pairedPlate,
      v.vehicleClass,
      v.enteredAt,
      v.entryLaneId,
      v.decisionId,
    );
  }

  endVisit(visitId: string): void {
    this.sql.deleteVisit.run(visitId);
  }

  setOverstayLevel(visitId: string, level: number): void {
    this.sql.overstay.run(level, visitId);
  }

  /** The yard's calls not yet used or expired, oldest first. */
  openCalls(yardId: string): YardCallRecord[] {
    return this.sql.calls.all(yardId).map((r) => ({
      callId: r.call_id,
      yardId: r.yard_id,
      plate: r.plate,
      calledAt: r.called_at,
      expiresAt: r.expires_at,
      calledBy: r.called_by,
    }));
  }

  addCall(c: YardCallRecord): void {
    this.sql.insertCall.run(c.callId, c.yardId, c.plate, c.calledAt, c.expiresAt, c.calledBy);
  }

  endCall(callId: string): void {
    this.sql.deleteCall.run(callId);
  }
}
