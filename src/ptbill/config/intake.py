"""The `[intake]` section of the clinic configuration: how the EMR's own exports map onto the
visit format (docs/intake.md). Everything has a default, so a configuration without the
section reads ptbill's documented layouts."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

# A place in an HL7 v2 segment: SEG-N (field) or SEG-N.C (component), e.g. ZSV-2 or NTE-3.
Hl7Place = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9]{2}-\d{1,3}(\.\d{1,2})?$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CsvLayout(_Strict):
    """A charge export, one row per service: its columns named as ptbill's or renamed here."""

    # The export's column -> ptbill's column (docs/intake.md lists them), e.g.
    # "Patient MRN" = "patient.id". Columns not named keep their own name.
    columns: dict[str, str] = {}
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] = ","
    # strptime formats of dates, tried in order (the export's own first).
    date_formats: list[str] = Field(default_factory=lambda: ["%Y-%m-%d"], min_length=1)
    # Between the entries of a list column: diagnoses, modifiers, diagnosis pointers.
    list_separator: Annotated[str, Field(min_length=1)] = ";"
    # When the code column carries its modifiers too ("97110-GP-59"): the separator.
    code_modifier_separator: str | None = None


class Hl7Mapping(_Strict):
    """Where a DFT^P03 carries what FT1 has no field for: the minutes of a charge, in a segment
    that follows its FT1 (a Z-segment or an NTE), as SEG-N."""

    minutes: Hl7Place = "ZSV-2"
    assistant_minutes: Hl7Place = "ZSV-3"


class IntakeSettings(_Strict):
    # The billing clinic of visits whose input names none (HL7, CSV without a clinic column);
    # without it, the configuration's only clinic.
    clinic: str | None = None
    # Any other identifier an EMR sends for a payer -> the payer profile key. Profile keys and
    # payer_ids are recognised without it (case-insensitively).
    payers: dict[str, str] = {}
    csv: CsvLayout = CsvLayout()
    hl7: Hl7Mapping = Hl7Mapping()

    @field_validator("payers")
    @classmethod
    def _no_blank_identifiers(cls, value: dict[str, str]) -> dict[str, str]:
        for ident in value:
            if not re.sub(r"\s", "", ident):
                raise ValueError("a payer identifier may not be blank")
        return value
