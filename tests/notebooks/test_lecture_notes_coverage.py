"""Every concept, process step, use case and comparison-table entry of the lecture notes is taught.

"Taught" means more than "the word appears somewhere": each entry names the notebook and the
section (a ``##``/``###`` heading, which may be an exercise) where it is taught, and one of its
spellings must appear in that section's text (its markdown, and the code cells under it). So a
concept that loses its section, or a section that stops saying what it is about, fails here.
"""

from __future__ import annotations

import re

import nbformat
import pytest

from tests.nbtools import NOTEBOOKS

# concept -> (notebook, words of the section heading, spellings that must appear in that section)
TAUGHT: dict[str, tuple[str, str, list[str]]] = {
    # why migrate
    "zero-downtime maintenance": ("04_why_migrate", "Zero-downtime maintenance", ["maintenance"]),
    "load balancing": ("04_why_migrate", "Load balancing", ["load balancing", "over-utilized", "hot host"]),
    "server consolidation": ("04_why_migrate", "Server consolidation", ["consolidat"]),
    "fault tolerance": ("04_why_migrate", "Fault tolerance", ["fault tolerance", "failure"]),
    "pre-failure warnings": ("04_why_migrate", "Fault tolerance", ["pre-failure", "warning"]),
    "the four reasons, matched": ("04_why_migrate", "Exercise 4e", ["maintenance", "consolidation"]),
    # hot / live migration: the five steps
    "live migration": ("01_live_migration", "Moving a running VM", ["live"]),
    "preparation: capacity and compatibility": ("01_live_migration", "Preparation", ["capacity", "compatib"]),
    "pre-copy phase": ("01_live_migration", "Pre-copy and iterative transfer", ["pre-copy"]),
    "iterative transfer of dirty pages": ("01_live_migration", "Pre-copy and iterative transfer", ["dirty"]),
    "the pause (blackout)": ("01_live_migration", "The pause", ["pause", "blackout"]),
    "resume": ("01_live_migration", "Resume and gratuitous ARP", ["resume"]),
    "gratuitous ARP": ("01_live_migration", "Resume and gratuitous ARP", ["gratuitous arp"]),
    "MAC-to-port mapping": ("01_live_migration", "Resume and gratuitous ARP", ["mac-to-port", "mac address table", "port"]),
    "non-convergence": ("01_live_migration", "never converges", ["converge"]),
    # cold migration: the five steps
    "cold migration": ("02_cold_migration", "Five steps, one after the other", ["cold migration"]),
    "powered off or suspended": ("02_cold_migration", "Powered off or suspended", ["suspended", "powered"]),
    "graceful shutdown": ("02_cold_migration", "Shutdown and metadata", ["gracefully", "graceful"]),
    "metadata transfer": ("02_cold_migration", "Shutdown and metadata", ["configuration"]),
    "disk move (VMDK/VHDX)": ("02_cold_migration", "The disk move", ["vmdk", "vhdx"]),
    "shared storage": ("02_cold_migration", "Shared versus non-shared storage", ["shared storage"]),
    "registration": ("02_cold_migration", "Exercise 2f", ["registers", "registration", "inventory"]),
    "power on and boot": ("02_cold_migration", "Registration and power on", ["power on", "boot"]),
    # the comparison table, row by row
    "VM state": ("03_live_vs_cold", "Row by row", ["vm state"]),
    "downtime": ("03_live_vs_cold", "Downtime", ["downtime"]),
    "network load": ("03_live_vs_cold", "Network load", ["network load", "data sent", "mib"]),
    "complexity": ("03_live_vs_cold", "Complexity", ["orchestration", "complexity"]),
    "complexity, checked": ("03_live_vs_cold", "Exercise 3f", ["dirty", "switch"]),
    "VM state, checked": ("03_live_vs_cold", "Exercise 3e", ["connection", "running", "memory"]),
    "when to choose which": ("03_live_vs_cold", "When to choose which", ["choose"]),
    # provisioning: the three types, their steps and use cases
    "cloud provisioning": ("10_provisioning_types", "Overview", ["requested", "operational"]),
    "self-service (on-demand)": ("10_provisioning_types", "Self-service (on-demand) provisioning", ["self-service", "on-demand"]),
    "login and selection": ("10_provisioning_types", "Self-service (on-demand) provisioning", ["login"]),
    "configuration": ("10_provisioning_types", "Self-service (on-demand) provisioning", ["configuration"]),
    "automated allocation": ("10_provisioning_types", "Self-service (on-demand) provisioning", ["allocation"]),
    "initialization and billing": ("10_provisioning_types", "Self-service (on-demand) provisioning", ["billing"]),
    "advance provisioning": ("10_provisioning_types", "Advance provisioning", ["reserv"]),
    "requirement analysis": ("10_provisioning_types", "Advance provisioning", ["requirement", "forecast"]),
    "contractual agreement and SLA": ("10_provisioning_types", "Advance provisioning", ["contract", "sla"]),
    "resource reservation": ("10_provisioning_types", "Advance provisioning", ["reservation"]),
    "delivery": ("10_provisioning_types", "Advance provisioning", ["deliver"]),
    "dynamic provisioning (auto-scaling)": ("10_provisioning_types", "Dynamic provisioning (auto-scaling)", ["auto-scal", "autoscal"]),
    "policy definition": ("11_autoscaling_thresholds", "Policy definition", ["policy", "threshold"]),
    "continuous monitoring": ("11_autoscaling_thresholds", "Continuous monitoring and trigger execution", ["monitoring"]),
    "trigger execution": ("11_autoscaling_thresholds", "Continuous monitoring and trigger execution", ["trigger"]),
    "automated scaling out and in": ("11_autoscaling_thresholds", "Cooldown and thrashing", ["scale in", "scale-in", "scales in", "scale out"]),
    "use cases matched to the types": ("10_provisioning_types", "Exercise 10e", ["rapid prototyping", "regulated", "e-commerce"]),
    "dev/test, small business hosting": ("10_provisioning_types", "Exercise 10e", ["dev/test", "small business"]),
    "enterprise, private cloud": ("10_provisioning_types", "Exercise 10e", ["enterprise", "private cloud"]),
    "media streaming, cost-optimized production": ("10_provisioning_types", "Exercise 10e", ["streaming", "cost-optimi"]),
    # the summary comparison table: trigger, timing, flexibility
    "trigger / timing / flexibility": ("12_provisioning_compared", "The summary table, with numbers", ["trigger", "timing", "flexibility"]),
    "elastic": ("10_provisioning_types", "The three types side by side", ["elastic", "flexibility"]),
}


def _sections(notebook: str) -> dict[str, str]:
    """heading text -> the text of its section (markdown and code up to the next heading of the same or a higher level)."""
    nb = nbformat.read(str(NOTEBOOKS / f"{notebook}.ipynb"), as_version=4)
    lines: list[tuple[int, str]] = []  # (heading level or 0, text)
    for cell in nb.cells:
        for line in cell.source.splitlines():
            m = re.match(r"^(#{2,3})\s+(.*)$", line) if cell.cell_type == "markdown" else None
            lines.append((len(m.group(1)), m.group(2)) if m else (0, line))
    sections: dict[str, str] = {}
    for i, (level, text) in enumerate(lines):
        if not level:
            continue
        body = []
        for lvl, t in lines[i + 1:]:
            if lvl and lvl <= level:
                break
            body.append(t)
        sections[text] = "\n".join([text, *body])
    return sections


@pytest.mark.parametrize("concept", sorted(TAUGHT))
def test_each_concept_of_the_lecture_notes_has_its_place(concept):
    notebook, heading, spellings = TAUGHT[concept]
    sections = _sections(notebook)
    found = [h for h in sections if heading.lower() in h.lower()]
    assert found, f"{concept!r}: {notebook} has no section headed like {heading!r}"
    text = " ".join(sections[h] for h in found).lower()
    assert any(s in text for s in spellings), f"{concept!r}: the section {found[0]!r} of {notebook} never says {spellings}"


def test_the_checker_finds_a_section_and_its_text():
    sections = _sections("02_cold_migration")
    assert "shared storage" in sections["4. Shared versus non-shared storage"].lower()
    assert "vl.check(\"2c\"" in sections["Exercise 2c · Shared storage, network load"]
