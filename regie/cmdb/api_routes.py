"""CMDB resources of API v1; each part of the CMDB lists its own (prefix, viewset, basename)."""


def register_cmdb_routes(router):
    from regie.cmdb import contract_api, item_api, relation_api
    from regie.cmdb.certificates import api as certificate_api
    from regie.cmdb.imports import api as import_api
    from regie.cmdb.licences import api as licence_api

    for module in (item_api, relation_api, contract_api, licence_api, certificate_api, import_api):
        for prefix, viewset, basename in module.ROUTES:
            router.register(prefix, viewset, basename=basename)
