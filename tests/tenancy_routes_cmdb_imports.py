"""Tenancy-walker routes of the CMDB imports (merged into tenancy_routes.ROUTES; see its docstring)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route


def _job_of_a(world):
    """An import job of A (a participant's upload), its file name, preview and errors carrying the canary."""
    from regie.cmdb.imports.factories import ImportJobFactory

    return ImportJobFactory(
        organisation=world.venlo, created_by=world.a_account_manager, file_name=f"laptops-{world.canary}.csv",
        errors=[{"row": 2, "column": "naam", "reason": world.canary}],
        preview={"rows": [{"row": 2, "action": "create", "changed": [], "attributes": {},
                           "values": {"name": f"Laptop {world.canary}", "asset_tag": "VNL-1", "owner": "VNL"}}]},
    )


def _job(world):
    return {"pk": world.once("import-job", _job_of_a).pk}


ROUTES = {
    "cmdb:import-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER,
                              note="a job belongs to the uploader's organisation; A's jobs are A's"),
    "cmdb:import-create": Route(LIST, note="upload form; only those who may import (provider keepers)"),
    "cmdb:import-detail": Route(DETAIL, kwargs=_job, seen_by=A_AND_PROVIDER),
    "cmdb:import-progress": Route(DETAIL, kwargs=_job, seen_by=A_AND_PROVIDER),
    "cmdb:import-apply": Route(DETAIL, kwargs=_job, method="POST", note="A's job is refused (invalid); B gets 404"),
    "cmdb:import-template": Route(LIST, kwargs=lambda w: {"type_code": "laptop", "fmt": "xlsx"},
                                  note="an empty file with the columns of a type; no tenant data"),
    "api:configuration-item-import-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER,
                                                note="GET lists the caller's organisation's jobs; POST uploads"),
    "api:configuration-item-import-detail": Route(DETAIL, kwargs=_job, seen_by=A_AND_PROVIDER),
    "api:configuration-item-import-apply": Route(DETAIL, kwargs=_job, method="POST"),
}
