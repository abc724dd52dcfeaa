"""CMDB pages under /cmdb/, one namespace; each part of the CMDB keeps its own patterns."""

from regie.cmdb import contract_urls, item_urls, relation_urls
from regie.cmdb.certificates import urls as certificate_urls
from regie.cmdb.imports import urls as import_urls
from regie.cmdb.licences import urls as licence_urls

app_name = "cmdb"

urlpatterns = [
    *item_urls.urlpatterns,
    *relation_urls.urlpatterns,
    *contract_urls.urlpatterns,
    *licence_urls.urlpatterns,
    *certificate_urls.urlpatterns,
    *import_urls.urlpatterns,
]
