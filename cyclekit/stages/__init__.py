"""One module per command, named as the command: options in, a report (a dataclass) out.

    schedule   write_schedule  -> ScheduleReport   `cyclekit schedule`
    sheets     start_cycle     -> CycleReport      `cyclekit sheets`
    ingest     ingest_cycle    -> IngestReport     `cyclekit ingest`
    finalize   finalize_cycle  -> FinalizeReport   `cyclekit finalize`
    verify     verify_cycle    -> Verification     `cyclekit verify`
    status     cycle_status    -> CycleStatus      `cyclekit status`
    send       send_cycle      -> SendReport       `cyclekit send`
    calendar   write_calendar  -> CalendarReport   `cyclekit calendar`
    remind     remind          -> RemindReport     `cyclekit remind`

Scripts use the public API instead (cyclekit.Schedule, cyclekit.Cycle in cyclekit/api.py), which
calls these; the modules are not imported here, so importing one stage loads only what it needs.
"""
