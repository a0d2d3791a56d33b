"""The rules of special measures as they have stood since 2013, as data.

Trusts: CQC re-inspects within 12 months of entry; an extension of up to 6 months may follow. The
programme was renamed and reframed (the Recovery Support Programme from July 2021, the NHS Oversight
Framework from April 2025) without changing those two numbers, so each is its own dated version.
Primary care, adult social care and independent providers: re-inspection within 6 months; if still
inadequate, a proposal to cancel registration (28 days for representations) and the registration
decision by 12 months.
"""

from datetime import date

from django.db import migrations

TRUSTS = ("foundation_trust", "nhs_trust")
CQC_ONLY = ("gp_practice", "adult_social_care", "independent_provider")

RULE_SETS = [
    *[
        dict(name="Special measures (2013)", provider_kind=kind, effective_from=date(2013, 7, 16),
             effective_to=date(2021, 6, 30), reinspection_months=12, extension_max_months=6)
        for kind in TRUSTS
    ],
    *[
        dict(name="Recovery Support Programme (2021)", provider_kind=kind, effective_from=date(2021, 7, 1),
             effective_to=date(2025, 3, 31), reinspection_months=12, extension_max_months=6)
        for kind in TRUSTS
    ],
    *[
        dict(name="NHS Oversight Framework (2025)", provider_kind=kind, effective_from=date(2025, 4, 1),
             effective_to=None, reinspection_months=12, extension_max_months=6)
        for kind in TRUSTS
    ],
    *[
        dict(name="Special measures for CQC-registered providers (2013)", provider_kind=kind,
             effective_from=date(2013, 7, 16), effective_to=None, reinspection_months=6, extension_max_months=0,
             registration_decision_months=12)
        for kind in CQC_ONLY
    ],
]


def seed(apps, schema_editor):
    RuleSet = apps.get_model("failure_regime", "RuleSet")
    for fields in RULE_SETS:
        RuleSet.objects.get_or_create(
            provider_kind=fields["provider_kind"], effective_from=fields["effective_from"], defaults=fields
        )


class Migration(migrations.Migration):
    dependencies = [("failure_regime", "0002_special_measures_rule_sets_episodes_plans_and_reports")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
