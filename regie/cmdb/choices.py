"""Choice sets of the CMDB."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CIStatus(models.TextChoices):
    """Lifecycle of a configuration item, in the order an item goes through it."""

    ORDERED = "ordered", _("ordered")
    IN_STOCK = "in_stock", _("in stock")
    IN_USE = "in_use", _("in use")
    IN_REPAIR = "in_repair", _("in repair")
    RETIRED = "retired", _("retired")
    DISPOSED = "disposed", _("disposed")


CI_STATUS_COLOURS = {
    CIStatus.ORDERED: "info",
    CIStatus.IN_STOCK: "secondary",
    CIStatus.IN_USE: "success",
    CIStatus.IN_REPAIR: "warning",
    CIStatus.RETIRED: "dark",
    CIStatus.DISPOSED: "dark",
}


class CICategory(models.TextChoices):
    WORKPLACE = "workplace", _("workplace and end-user devices")
    PERIPHERAL = "peripheral", _("peripherals")
    SERVER = "server", _("servers and storage")
    NETWORK = "network", _("network")
    SECURITY = "security", _("security")
    SOFTWARE = "software", _("applications and databases")
    SERVICE = "service", _("business services")
    FACILITY = "facility", _("datacenters and facilities")


class AttributeKind(models.TextChoices):
    """Kinds of a type-specific attribute (ConfigurationItemType.attribute_schema)."""

    TEXT = "text", _("text")
    INTEGER = "integer", _("whole number")
    DECIMAL = "decimal", _("number")
    DATE = "date", _("date")
    BOOLEAN = "boolean", _("yes/no")
    CHOICE = "choice", _("choice")


class RelationKind(models.TextChoices):
    """Typed relations. Read as: <source> <kind> <target>, e.g. "BRP runs on SRV-01".

    Every kind points from the dependent item to what it needs, so the impact of a failing
    item is found by walking relations backwards (target → source)."""

    RUNS_ON = "runs_on", _("runs on")
    DEPENDS_ON = "depends_on", _("depends on")
    CONNECTED_TO = "connected_to", _("connected to")
    INSTALLED_ON = "installed_on", _("installed on")
    LOCATED_IN = "located_in", _("located in")
    BACKED_UP_BY = "backed_up_by", _("backed up by")
    FAILS_OVER_TO = "fails_over_to", _("fails over to")


class ModelApproval(models.TextChoices):
    """A model enters the standards catalogue (§4.1.2, appendix 3) only with the provider's approval."""

    PROPOSED = "proposed", _("proposed")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class ContractKind(models.TextChoices):
    FRAMEWORK = "framework", _("framework contract")
    MAINTENANCE = "maintenance", _("maintenance contract")
    WARRANTY = "warranty", _("warranty")
    LICENCE = "licence", _("licence agreement")
    SERVICE = "service", _("service contract")


class NetworkLinkKind(models.TextChoices):
    INTER_MUNICIPAL = "inter_municipal", _("inter-municipal")
    INTRA_MUNICIPAL = "intra_municipal", _("intra-municipal")
    LAN_WIFI = "lan_wifi", _("LAN / Wi-Fi")
    GEMNET = "gemnet", _("Gemnet")
    INTERNET = "internet", _("Internet")
