"""Demo service requests of Venlo's demo employee, in various states: access waiting for
the manager, extra storage being fulfilled, a spam release fulfilled, a rejected access
request and advice waiting for acceptance of the cost. Idempotent.

    from regie.fulfilment.demo import load_demo
    load_demo(random.Random(2026))
"""

import datetime

from django.db import transaction
from django.utils import timezone

from regie.core.audit import audit_context
from regie.core.models import User

from . import services
from .models import Approval, FulfilmentTask, ServiceRequest
from .seed import ensure_loaded


def _type(code):
    from .models import RequestType

    return RequestType.objects.unrestricted().get(code=code)


@transaction.atomic
def load_demo(rng=None):
    ensure_loaded()
    if ServiceRequest.objects.unrestricted().exists():
        return
    employee = User.objects.unrestricted().filter(username="venlo.medewerker").select_related("manager").first()
    agent = User.objects.unrestricted().filter(username="beheerder").first()
    if employee is None or employee.manager is None or agent is None:
        return
    manager = employee.manager
    now = timezone.now()
    with audit_context(actor=employee, actor_label=employee.username):
        services.submit_request(employee, _type("toegang"), {
            "system": "Netwerkschijf", "group": "GG_Burgerzaken_Lezen", "folder": r"\\fs01\burgerzaken\2026",
            "rights": "lezen", "reason": "Nieuwe taak bij de balie"}, now=now - datetime.timedelta(hours=5))
        storage = services.submit_request(employee, _type("extra-opslag"), {
            "folder": r"\\fs01\home\sanne", "extra_gb": 20, "reason": "Scans van aktes"},
            now=now - datetime.timedelta(days=2))
        spam = services.submit_request(employee, _type("spam-vrijgeven"), {
            "recipient": employee.email, "sender": "facturen@leverancier.example.nl", "subject": "Factuur 2026-114",
            "received_on": str(timezone.localdate())}, now=now - datetime.timedelta(days=1))
        rejected = services.submit_request(employee, _type("toegang"), {
            "system": "SQL", "group": "GG_Financien_Beheer", "rights": "wijzigen"},
            now=now - datetime.timedelta(days=3))
        services.submit_request(employee, _type("advies"), {"subject": "Advies over Wi-Fi in de raadszaal",
                                                            "hours": 6}, now=now - datetime.timedelta(days=1))
    with audit_context(actor=manager, actor_label=manager.username):
        services.decide(manager, Approval.all_objects.get(request=storage), True, "Akkoord.")
        services.decide(manager, Approval.all_objects.get(request=rejected), False,
                        "Beheerrechten op de financiële database zijn niet nodig voor deze functie.")
    with audit_context(actor=agent, actor_label=agent.username):
        for task in FulfilmentTask.all_objects.filter(request=spam):
            services.complete_task(agent, task, "Vrijgegeven uit de quarantaine.")
