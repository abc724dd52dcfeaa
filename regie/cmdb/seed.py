"""The item types the agreement names, with their type-specific attributes. Data, not
code: loaded by a data migration and editable afterwards (new attributes, new types)."""


def attr(code, label, kind="text", *, required=False, choices=None, minimum=None, maximum=None, help_text=""):
    spec = {"code": code, "label": label, "kind": kind, "required": required}
    if choices:
        spec["choices"] = list(choices)
    if minimum is not None:
        spec["min"] = minimum
    if maximum is not None:
        spec["max"] = maximum
    if help_text:
        spec["help"] = help_text
    return spec


OS_FAMILIES = [
    "Windows Server 2019",
    "Windows Server 2022",
    "Windows Server 2025",
    "Red Hat Enterprise Linux 9",
    "Ubuntu Server 24.04",
    "VMware ESXi 8",
    "other",
]

# code, name (Dutch, as users read it), category, attributes
ITEM_TYPES = [
    (
        "werkplek",
        "Werkplek (pc)",
        "workplace",
        [attr("os", "Besturingssysteem"), attr("ram_gb", "Geheugen (GB)", "integer", minimum=1, maximum=1024)],
    ),
    (
        "virtuele-werkplek",
        "Thin client / virtuele werkplek",
        "workplace",
        [
            attr("pool", "VDI-pool"),
            attr("user_profile", "Profiel", "choice", choices=["standaard", "zwaar", "kiosk"]),
        ],
    ),
    (
        "laptop",
        "Laptop",
        "workplace",
        [attr("os", "Besturingssysteem"), attr("encrypted", "Schijf versleuteld", "boolean")],
    ),
    ("tablet", "Tablet", "workplace", [attr("imei", "IMEI"), attr("mdm_enrolled", "In MDM", "boolean")]),
    (
        "smartphone",
        "Smartphone",
        "workplace",
        [
            attr("imei", "IMEI", required=True),
            attr("phone_number", "Telefoonnummer"),
            attr("mdm_enrolled", "In MDM", "boolean"),
        ],
    ),
    ("monitor", "Monitor", "peripheral", [attr("size_inch", "Diagonaal (inch)", "integer", minimum=10, maximum=100)]),
    (
        "printer",
        "Printer / multifunctional",
        "peripheral",
        [
            attr("ip_address", "IP-adres"),
            attr("colour", "Kleur", "boolean"),
            attr("follow_me", "Follow-me printen", "boolean"),
        ],
    ),
    ("scanner", "Scanner", "peripheral", []),
    ("kaartlezer", "Kaartlezer", "peripheral", []),
    ("telefoon", "Vaste telefoon", "peripheral", [attr("extension", "Toestelnummer")]),
    (
        "fysieke-server",
        "Fysieke server",
        "server",
        [
            attr("os", "Besturingssysteem", "choice", choices=OS_FAMILIES),
            attr("cores", "Cores", "integer", minimum=1, maximum=1024),
            attr("ram_gb", "Geheugen (GB)", "integer", minimum=1, maximum=65536),
            attr("rack_unit", "Rackpositie"),
        ],
    ),
    (
        "virtuele-server",
        "Virtuele server",
        "server",
        [
            attr("os", "Besturingssysteem", "choice", choices=OS_FAMILIES, required=True),
            attr("cores", "vCPU's", "integer", required=True, minimum=1, maximum=256),
            attr("ram_gb", "Geheugen (GB)", "integer", minimum=1, maximum=8192),
        ],
    ),
    (
        "opslagsysteem",
        "Opslagsysteem",
        "server",
        [
            attr("capacity_tb", "Capaciteit (TB)", "decimal", required=True, minimum=0),
            attr("used_tb", "In gebruik (TB)", "decimal", minimum=0),
            attr("replicated", "Gerepliceerd naar tweede datacenter", "boolean"),
        ],
    ),
    (
        "switch",
        "Switch",
        "network",
        [attr("ports", "Poorten", "integer", minimum=1, maximum=1024), attr("management_ip", "Beheer-IP")],
    ),
    ("router", "Router", "network", [attr("management_ip", "Beheer-IP")]),
    ("firewall", "Firewall", "network", [attr("management_ip", "Beheer-IP"), attr("ha_pair", "HA-paar", "boolean")]),
    ("access-point", "Draadloos access point", "network", [attr("ssids", "SSID's")]),
    ("netwerkverbinding", "Netwerkverbinding", "network", []),
    (
        "rsa-token",
        "RSA SecurID-token",
        "security",
        [
            attr("token_serial", "Tokenserienummer", required=True),
            attr("expires_on", "Verloopt op", "date", required=True),
            attr("token_kind", "Soort", "choice", choices=["hardware", "software"], required=True),
        ],
    ),
    (
        "applicatie",
        "Applicatie",
        "software",
        [
            attr("version", "Versie"),
            attr("vendor", "Leverancier applicatie"),
            attr(
                "streaming_suitable",
                "Geschikt voor applicatiestreaming (App-V)",
                "choice",
                choices=["ja", "nee", "niet beoordeeld"],
                required=True,
                help_text="§4.2.1: een applicatie moet geschikt zijn voor applicatievirtualisatie.",
            ),
            attr("application_admin", "Applicatiebeheerder gemeente"),
        ],
    ),
    (
        "database",
        "Database",
        "software",
        [
            attr(
                "engine",
                "Databasesoftware",
                "choice",
                choices=["SQL Server", "Oracle Database", "PostgreSQL", "MariaDB", "other"],
                required=True,
            ),
            attr("size_gb", "Omvang (GB)", "decimal", minimum=0),
        ],
    ),
    (
        "bedrijfsdienst",
        "Bedrijfsdienst",
        "service",
        [
            attr("critical", "Kritieke dienst", "boolean"),
            attr("service_owner", "Eigenaar dienst"),
        ],
    ),
    (
        "datacenter",
        "Datacenter",
        "facility",
        [
            attr("site_code", "Locatiecode", required=True),
            attr("tier", "Tier", "integer", minimum=1, maximum=4),
        ],
    ),
]


def load(apps):
    """Create the item types that are missing; existing ones (perhaps edited) stay as they are."""
    item_type = apps.get_model("cmdb", "ConfigurationItemType")
    for code, name, category, attributes in ITEM_TYPES:
        item_type.objects.get_or_create(
            code=code, defaults={"name": name, "category": category, "attribute_schema": attributes}
        )


def ensure_loaded():
    """The same, outside migrations: the demo loaders call it, so a database whose rows were
    flushed (tests that commit) still has the types the demo estate is built from."""
    from django.apps import apps

    load(apps)
