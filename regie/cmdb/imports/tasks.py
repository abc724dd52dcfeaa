from celery import shared_task


@shared_task(name="regie.cmdb_imports.run_import", acks_late=True, reject_on_worker_lost=True)
def run_import(job_id, actor_id=None):
    """Check (and, when asked, import) one uploaded file. Idempotent: a job already imported
    is never imported twice (services.run checks it under a lock), so a redelivery after a
    lost worker simply starts the unfinished job again."""
    from .services import run

    return run(job_id, actor_id)
