"""The licence products §4.3.2 of the agreement lists, preloaded by a data migration.
(code, name, vendor, category, metric, minimum cores per item, CAL for code)"""

PRODUCTS = [
    ("windows-server", "Windows Server Datacenter", "Microsoft", "server", "core", 16, None),
    ("windows-server-standard", "Windows Server Standard", "Microsoft", "server", "core", 16, None),
    ("windows-server-cal", "Windows Server CAL", "Microsoft", "access", "cal", 0, "windows-server"),
    ("windows-rds-cal", "Windows Remote Desktop Services CAL", "Microsoft", "access", "cal", 0, "windows-server"),
    ("windows-enterprise", "Windows Enterprise (werkplek)", "Microsoft", "workplace", "device", 0, None),
    ("windows-vda", "Windows VDA (virtuele werkplek)", "Microsoft", "workplace", "user", 0, None),
    ("sql-server-enterprise", "SQL Server Enterprise", "Microsoft", "database", "core", 4, None),
    ("sql-server-standard", "SQL Server Standard", "Microsoft", "database", "core", 4, None),
    ("sql-server-cal", "SQL Server CAL", "Microsoft", "access", "cal", 0, "sql-server-standard"),
    ("exchange-server", "Exchange Server", "Microsoft", "server", "device", 0, None),
    ("exchange-cal", "Exchange Server CAL", "Microsoft", "access", "cal", 0, "exchange-server"),
    ("microsoft-office", "Microsoft Office LTSC Professional Plus", "Microsoft", "workplace", "device", 0, None),
    ("microsoft-365-apps", "Microsoft 365 Apps for enterprise", "Microsoft", "workplace", "user", 0, None),
    ("app-v", "Microsoft App-V", "Microsoft", "virtualisation", "user", 0, None),
    ("vmware-vsphere", "VMware vSphere Foundation", "Broadcom (VMware)", "virtualisation", "core", 16, None),
    ("vmware-horizon", "VMware Horizon", "Broadcom (VMware)", "virtualisation", "user", 0, None),
    ("oracle-database-ee", "Oracle Database Enterprise Edition", "Oracle", "database", "core", 0, None),
    ("oracle-database-se2", "Oracle Database Standard Edition 2", "Oracle", "database", "device", 0, None),
    ("backup", "Back-upsoftware (server)", "Veeam", "management", "device", 0, None),
    ("anti-virus", "Antivirus en endpointbeveiliging", "Sophos", "security", "subscription", 0, None),
    ("anti-spam", "Antispam (e-mailfilter)", "Sophos", "security", "user", 0, None),
    ("network-monitoring", "Netwerkmonitoring", "Paessler (PRTG)", "management", "subscription", 0, None),
]


def seed_products(LicenceProduct):
    """Create the products that are missing (by code); leave existing ones as they are."""
    by_code = {product.code: product for product in LicenceProduct.objects.all()}
    for code, name, vendor, category, metric, minimum_cores, _cal_for in PRODUCTS:
        if code not in by_code:
            by_code[code] = LicenceProduct.objects.create(
                code=code, name=name, vendor=vendor, category=category, metric=metric, minimum_cores=minimum_cores,
            )
    for code, *_rest, cal_for in PRODUCTS:
        product = by_code[code]
        if cal_for and product.cal_for_id is None:
            product.cal_for = by_code[cal_for]
            product.save(update_fields=["cal_for"])


def ensure_loaded():
    """Outside migrations (demo loaders): the preloaded products, when they were flushed."""
    from .models import LicenceProduct

    seed_products(LicenceProduct)
