"""Choice sets of request fulfilment."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestGroup(models.TextChoices):
    ACCESS = "access", _("Access and accounts")
    WORKPLACE = "workplace", _("Workplace and equipment")
    STORAGE = "storage", _("Storage, back-up and restore")
    SECURITY = "security", _("Security, mail and certificates")
    APPLICATIONS = "applications", _("Applications")
    PERSONNEL = "personnel", _("Joiners and leavers")
    ADVICE = "advice", _("Advice and extra-cost work")
    OUT_OF_SCOPE = "out_of_scope", _("Outside the agreement")


class FieldKind(models.TextChoices):
    """Kinds of a declared form field (RequestType.fields)."""

    TEXT = "text", _("text")
    CHOICE = "choice", _("choice")
    PERSON = "person", _("person")
    GROUP = "group", _("group")
    CI = "ci", _("configuration item")
    MODEL = "model", _("standard model")
    DATE = "date", _("date")
    NUMBER = "number", _("number")
    FILE = "file", _("file")
    BOOLEAN = "boolean", _("yes/no")


class ApprovalStep(models.TextChoices):
    MANAGER = "manager", _("requester's manager")
    INFORMATION_ADVISOR = "information_advisor", _("information advisor of the participant")
    PROVIDER = "provider", _("the provider")
    REPRESENTATIVES = "representatives", _("each participant's representative")


class Rule(models.TextChoices):
    """The agreement's rule a request type enforces (services.RULES)."""

    NONE = "", _("no special rule")
    ACCESS = "access", _("access only to a group; share rights only on a whole folder")
    MAILBOX_DELEGATION = "mailbox_delegation", _("self-service by the mailbox owner")
    EXTRA_STORAGE = "extra_storage", _("granted quota recorded")
    RSA_TOKEN = "rsa_token", _("token CI created or replaced")
    RESTORE = "restore", _("within the retention and only for systems in back-up")
    SPAM_RELEASE = "spam_release", _("only the recipient's own mail")
    EQUIPMENT_PURCHASE = "equipment_purchase", _("standard models within a valid framework contract")
    APPLICATION_PURCHASE = "application_purchase", _("streaming suitability assessed by the provider")
    CERTIFICATE = "certificate", _("certificate registered where installed")
    NEW_EMPLOYEE = "new_employee", _("account, workplace, access and token in one request")
    LEAVER = "leaver", _("access and equipment listed for withdrawal")


class RequestStatus(models.TextChoices):
    COST_ACCEPTANCE = "cost_acceptance", _("waiting for acceptance of the cost")
    APPROVAL = "approval", _("waiting for approval")
    FULFILMENT = "fulfilment", _("being fulfilled")
    FULFILLED = "fulfilled", _("fulfilled")
    REJECTED = "rejected", _("rejected")


REQUEST_STATUS_COLOURS = {
    RequestStatus.COST_ACCEPTANCE: "warning",
    RequestStatus.APPROVAL: "warning",
    RequestStatus.FULFILMENT: "info",
    RequestStatus.FULFILLED: "success",
    RequestStatus.REJECTED: "secondary",
}


class Decision(models.TextChoices):
    PENDING = "pending", _("pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    EXPIRED = "expired", _("timed out")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
