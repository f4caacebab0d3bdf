"""pg_cron's tables as views, so `select * from cron.job` and
`cron.job_run_details` read in SQL as on Supabase (read-only; jobs change
through cron.schedule, cron.alter_job and cron.unschedule)."""

from django.db import migrations

JOB = """
create view koyalite_cron_job as
select id as jobid, schedule, command, 'localhost' as nodename, 0 as nodeport,
       'postgres' as database, 'service_role' as username, active, name as jobname,
       kind, timezone
from scheduler_jobs
"""

# A subquery rather than a join: SQLite's authorizer reports a join's table
# once more without the view's name, which user SQL may not read.
RUN_DETAILS = """
create view koyalite_cron_job_run_details as
select r.job_id as jobid, r.id as runid, null as job_pid, 'postgres' as database,
       'service_role' as username,
       (select j.command from scheduler_jobs j where j.id = r.job_id) as command,
       r.status,
       case when r.error != '' then r.error else r.output end as return_message,
       r.started_at as start_time, r.finished_at as end_time
from scheduler_runs r
"""


class Migration(migrations.Migration):
    dependencies = [("scheduler", "0001_initial")]

    operations = [
        migrations.RunSQL(JOB, "drop view koyalite_cron_job"),
        migrations.RunSQL(RUN_DETAILS, "drop view koyalite_cron_job_run_details"),
    ]
