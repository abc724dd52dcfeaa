"""The CMDB at a glance: what needs attention, and what the register holds, within the
user's scope (a participant's figures are their own organisation's, provider staff see all).

Each signal counts what one of the CMDB's pages lists, and links to that page filtered the
same way, so a number on the overview is always the number of rows behind its link. A fixed
number of statements, whatever the size of the estate.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from regie.core.tenancy import is_provider_staff

from . import contracts as contract_rules
from . import network, services
from .certificates import services as certificate_services
from .certificates.models import Certificate, CertificateStatus
from .choices import CICategory, CIStatus, ModelApproval
from .licences import services as licence_services
from .licences.choices import ComplianceState
from .models import ConfigurationItemModel, Contract
from .relations import visible_items

LIVE_STATUSES = [status for status in CIStatus.values if status not in (CIStatus.RETIRED, CIStatus.DISPOSED)]


@dataclass(frozen=True)
class Signal:
    key: str
    count: int
    text: str  # what is counted, in words that follow the number ("certificates have expired")
    url: str
    level: str  # danger, warning or info: how the card is coloured when the count is not 0


def _url(name, **query):
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def attention(user, day=None):
    """[Signal] of what needs attention, in the order a keeper works through them; only the
    parts of the CMDB the user may see."""
    day = day or timezone.localdate()
    now = timezone.now()
    found = []
    items = visible_items(user)
    if certificate_services.may_view(user):
        certificates = Certificate.objects.for_user(user)
        expired = certificates.with_status(CertificateStatus.EXPIRED, now).count()
        expiring = certificates.with_status(CertificateStatus.EXPIRING, now).count()
        found.append(Signal(
            "certificates-expired", expired,
            ngettext("certificate has expired", "certificates have expired", expired),
            _url("cmdb:certificate-list", status=CertificateStatus.EXPIRED), "danger"))
        found.append(Signal(
            "certificates-expiring", expiring,
            ngettext("certificate expires soon", "certificates expire soon", expiring),
            _url("cmdb:certificate-list", status=CertificateStatus.EXPIRING), "warning"))
    if user.has_perm(licence_services.VIEW_PERMISSION):
        over = len(licence_services.compliance(user, day).over)
        found.append(Signal(
            "licences-over", over,
            ngettext("licence position is over-used", "licence positions are over-used", over),
            _url("cmdb:licence-compliance", state=ComplianceState.OVER), "danger"))
    if user.has_perm("cmdb.view_contract"):
        ending = contract_rules.expiring(Contract.objects.for_user(user), day).count()
        found.append(Signal(
            "contracts-expiring", ending,
            ngettext("contract ends soon", "contracts end soon", ending),
            _url("cmdb:contract-list", expiring="true"), "warning"))
    non_standard = (items.filter(status=CIStatus.IN_USE, model__isnull=False)
                    .exclude(services.standard_q()).count())
    found.append(Signal(
        "items-non-standard", non_standard,
        ngettext("item in use is of a non-standard model",
                 "items in use are of a non-standard model", non_standard),
        _url("cmdb:item-list", status=CIStatus.IN_USE, standard="non_standard"), "warning"))
    warranty = items.filter(status=CIStatus.IN_USE, warranty_end__gte=day,
                            warranty_end__lte=day + datetime.timedelta(days=services.WARRANTY_HORIZON_DAYS)).count()
    found.append(Signal(
        "items-warranty", warranty,
        ngettext("item in use leaves its warranty within %(days)s days",
                 "items in use leave their warranty within %(days)s days", warranty)
        % {"days": services.WARRANTY_HORIZON_DAYS},
        _url("cmdb:item-list", status=CIStatus.IN_USE, warranty="ending"), "info"))
    if services.may_approve_model(user):  # only those who can act on it
        proposed = ConfigurationItemModel.objects.for_user(user).filter(approval=ModelApproval.PROPOSED).count()
        found.append(Signal(
            "models-proposed", proposed,
            ngettext("new model awaits approval", "new models await approval", proposed),
            _url("cmdb:model-list", approval=ModelApproval.PROPOSED), "info"))
    if is_provider_staff(user):
        weak = sum(1 for link in network.links_with_partners(user) if network.link_warnings(link))
        found.append(Signal(
            "network-redundancy", weak,
            ngettext("network link with a redundancy warning", "network links with a redundancy warning", weak),
            _url("cmdb:network-list"), "warning"))
        warnings = sum(centre.warning_count for centre in network.datacenters(user))
        found.append(Signal(
            "datacenter-warnings", warnings,
            ngettext("warning on the datacenters' critical items",
                     "warnings on the datacenters' critical items", warnings),
            _url("cmdb:datacenter-list"), "warning"))
    return found


def composition(user):
    """What the register holds: live items per category, and items per owner and lifecycle
    status, as chart data ({"labels": [...], "series": [{"label", "data"}]}) plus totals."""
    items = visible_items(user).order_by()
    per_category = dict(
        items.filter(status__in=LIVE_STATUSES).values_list("ci_type__category").annotate(n=Count("id"))
    )
    categories = [(value, label) for value, label in CICategory.choices if per_category.get(value)]
    by_category = {
        "labels": [str(label) for _value, label in categories],
        "series": [{"label": str(_("Items")), "data": [per_category[value] for value, _label in categories]}],
    }
    cells = {}
    owners = {}
    for owner_id, owner_name, status, n in items.values_list(
        "organisation_id", "organisation__name", "status"
    ).annotate(n=Count("id")):
        owners[owner_id] = owner_name
        cells[(owner_id, status)] = n
    owner_ids = sorted(owners, key=lambda pk: owners[pk])
    statuses = [(value, label) for value, label in CIStatus.choices
                if any(cells.get((pk, value)) for pk in owner_ids)]
    by_owner = {
        "labels": [owners[pk] for pk in owner_ids],
        "series": [{"label": str(label), "data": [cells.get((pk, value), 0) for pk in owner_ids]}
                   for value, label in statuses],
    }
    total = sum(cells.values())
    live = sum(n for (_pk, status), n in cells.items() if status in LIVE_STATUSES)
    return {"by_category": by_category, "by_owner": by_owner, "total": total, "live": live}
