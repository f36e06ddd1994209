"""Lists the demo generator draws from: names, places, conditions and note phrases.

Every person and address is synthetic. Diagnosis codes are real, billable ICD-10-CM codes
(tests check each against simple-icd-10-cm); injury codes use the 7th character "D"
(subsequent encounter), which is what rehabilitation during healing reports
(ICD-10-CM guideline I.C.19.a). Note phrases are our own words.
"""

from __future__ import annotations

from dataclasses import dataclass

FEMALE_FIRST = (
    "Mary",
    "Patricia",
    "Linda",
    "Barbara",
    "Susan",
    "Karen",
    "Nancy",
    "Lisa",
    "Margaret",
    "Sandra",
    "Ashley",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Laura",
    "Rebecca",
    "Sharon",
    "Cynthia",
    "Kathleen",
    "Ann",
    "Ruth",
    "Maria",
    "Grace",
    "Rosa",
)
MALE_FIRST = (
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Edward",
    "Ronald",
    "Luis",
    "Samuel",
    "Walter",
    "Henry",
)
LAST = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Ortiz",
    "Kowalski",
    "Novak",
    "Schmidt",
)

# (city, ZIP codes) around the demo clinic in Springfield, IL.
CITIES = (
    ("Springfield", ("62701", "62702", "62703", "62704", "62707", "62711", "62712")),
    ("Chatham", ("62629",)),
    ("Rochester", ("62563",)),
    ("Sherman", ("62684",)),
    ("Riverton", ("62561",)),
    ("Auburn", ("62615",)),
    ("Petersburg", ("62675",)),
    ("Jacksonville", ("62650",)),
    ("Lincoln", ("62656",)),
    ("Taylorville", ("62568",)),
    ("Decatur", ("62521", "62522", "62526")),
)
STREETS = (
    "Elm St",
    "Oak St",
    "Maple Ave",
    "Walnut St",
    "Cedar Ln",
    "Lincoln Ave",
    "Washington St",
    "Monroe St",
    "Adams St",
    "Jefferson St",
    "Park Ave",
    "Lake Dr",
    "Chestnut St",
    "Pine St",
    "Sangamon Ave",
    "Wabash Ave",
    "Grand Ave",
    "Bruns Ln",
    "Old Jacksonville Rd",
    "Iles Ave",
)

REFERRER_CREDENTIALS = ("MD", "MD", "MD", "DO", "NP", "PA")

# Timed-code palettes by kind of condition (billing-rules.md U-3); the first codes are the
# ones most often billed for that kind.
LOWER_LIMB = ("97110", "97140", "97530", "97112", "97116")
SPINE = ("97110", "97140", "97112", "97530", "97535")
UPPER_LIMB = ("97110", "97140", "97530", "97535", "97112")
BALANCE = ("97112", "97116", "97530", "97110", "97535")


@dataclass(frozen=True, slots=True)
class Condition:
    """A reason for a plan of care: its diagnoses (treated ones first), the body region the
    manual therapy addresses, the timed codes and modalities that fit it."""

    diagnoses: tuple[str, ...]
    region: str
    timed: tuple[str, ...]
    timed_modality: str | None = None  # 97035 / 97032, a short extra timed code
    untimed: tuple[str, ...] = ()  # "estim" stands for G0283 (Medicare) / 97014 (others)
    external_cause: str | None = None  # an injury's cause, reported after the treated codes
    complexity: tuple[int, int, int] = (3, 5, 2)  # weights of eval levels low/moderate/high


CONDITIONS = (
    Condition(("M17.11", "M25.561"), "right knee", LOWER_LIMB, "97035", ("97010", "estim")),
    Condition(("M17.12", "M25.562"), "left knee", LOWER_LIMB, "97035", ("97010", "estim")),
    Condition(
        ("Z47.1", "Z96.651", "R26.89"),
        "right knee",
        LOWER_LIMB,
        "97032",
        ("97016",),
        complexity=(1, 5, 4),
    ),
    Condition(
        ("Z47.1", "Z96.652", "R26.89"),
        "left knee",
        LOWER_LIMB,
        "97032",
        ("97016",),
        complexity=(1, 5, 4),
    ),
    Condition(
        ("Z47.1", "Z96.641"), "right hip", LOWER_LIMB, None, ("97016",), complexity=(1, 5, 4)
    ),
    Condition(("M16.11", "M25.551"), "right hip", LOWER_LIMB, None, ("97010",)),
    Condition(("S83.511D",), "right knee", LOWER_LIMB, None, ("97016",), "Y93.67", (4, 5, 1)),
    Condition(("S83.241D", "M25.561"), "right knee", LOWER_LIMB, None, ("97010",), "X50.0XXD"),
    Condition(
        ("M54.50",),
        "lumbar spine",
        SPINE,
        "97032",
        ("97010", "97012", "estim"),
        complexity=(5, 4, 1),
    ),
    Condition(("M54.59", "M62.830"), "lumbar spine", SPINE, "97032", ("97010", "estim")),
    Condition(("M54.16",), "lumbar spine", SPINE, None, ("97012", "estim")),
    Condition(("M54.41",), "lumbar spine", SPINE, None, ("97012", "estim")),
    Condition(("M48.061", "M54.50"), "lumbar spine", SPINE, None, ("97012",), complexity=(2, 5, 3)),
    Condition(("M54.2",), "cervical spine", SPINE, "97035", ("97010", "estim")),
    Condition(("M54.12",), "cervical spine", SPINE, None, ("97012", "estim")),
    Condition(("M54.6",), "thoracic spine", SPINE, None, ("97010",), complexity=(6, 3, 1)),
    Condition(("M75.41", "M25.511"), "right shoulder", UPPER_LIMB, "97035", ("97010", "estim")),
    Condition(("M75.42", "M25.512"), "left shoulder", UPPER_LIMB, "97035", ("97010", "estim")),
    Condition(("M75.01",), "right shoulder", UPPER_LIMB, None, ("97010",)),
    Condition(("M75.111",), "right shoulder", UPPER_LIMB, "97035", ("estim",)),
    Condition(("S46.011D",), "right shoulder", UPPER_LIMB, None, ("97010",), "X50.0XXD"),
    Condition(("S46.012D",), "left shoulder", UPPER_LIMB, None, ("97010",), "X50.3XXD"),
    Condition(("S42.201D",), "right shoulder", UPPER_LIMB, None, (), "W01.0XXD", (1, 6, 3)),
    Condition(("S52.501D",), "right wrist", UPPER_LIMB, None, ("97010",), "W19.XXXD"),
    Condition(("M77.11",), "right elbow", UPPER_LIMB, "97035", ("97010",), complexity=(6, 3, 1)),
    Condition(("S93.401D",), "right ankle", LOWER_LIMB, None, ("97016", "97010"), "W01.0XXD"),
    Condition(("S93.402D",), "left ankle", LOWER_LIMB, None, ("97016", "97010"), "Y93.67"),
    Condition(("M72.2",), "right foot", LOWER_LIMB, "97035", ("97010",), complexity=(6, 3, 1)),
    Condition(("M76.61",), "right ankle", LOWER_LIMB, "97035", ("97010",)),
)

# Conditions of older adults, offered to Medicare patients on top of CONDITIONS.
SENIOR_CONDITIONS = (
    Condition(
        ("R26.81", "M62.81", "Z91.81"), "bilateral lower extremities", BALANCE, complexity=(1, 5, 4)
    ),
    Condition(("R26.89", "M62.81"), "bilateral lower extremities", BALANCE, complexity=(2, 5, 3)),
    Condition(("R26.2", "M62.81"), "bilateral lower extremities", BALANCE, complexity=(2, 5, 3)),
    Condition(("G20.A1", "R26.89"), "trunk and lower extremities", BALANCE, complexity=(0, 4, 6)),
    Condition(
        ("I69.351", "R26.89"), "right upper and lower extremity", BALANCE, complexity=(0, 3, 7)
    ),
    Condition(("H81.11", "R42"), "cervical spine", BALANCE, complexity=(3, 5, 2)),
)

# What each code was for and how the patient responded; {region} is filled in.
PURPOSE = {
    "97110": (
        "strengthen {region} musculature for stair climbing",
        "restore {region} range of motion",
        "progress the home exercise program",
        "build endurance for community walking",
    ),
    "97112": (
        "improve balance and postural control",
        "retrain {region} proprioception",
        "reduce fall risk with static and dynamic balance work",
    ),
    "97116": (
        "normalize gait pattern and reduce antalgic gait",
        "progress from walker to cane",
        "stair negotiation with one rail",
    ),
    "97140": (
        "restore {region} joint mobility",
        "reduce soft-tissue restriction at the {region}",
        "joint mobilization to decrease pain and improve motion",
    ),
    "97530": (
        "improve transfers and functional lifting",
        "task practice for reaching overhead",
        "sit-to-stand and floor-to-stand training",
    ),
    "97535": (
        "instruct in joint protection and activity pacing",
        "home safety and self-care training",
        "instruct in body mechanics for daily tasks",
    ),
    "97035": ("ultrasound to promote tissue healing at the {region}",),
    "97032": ("attended electrical stimulation for pain modulation at the {region}",),
}
RESPONSE = {
    "97110": (
        "3x10 with verbal cues; pain 3/10 after",
        "completed without symptom increase",
        "needed rest breaks in set 2; form improved with cues",
    ),
    "97112": (
        "single-leg stance 8 s to 12 s",
        "tandem stance 20 s without loss of balance",
        "needed contact guard on foam surface",
    ),
    "97116": (
        "walked 150 ft with cane, longer step length",
        "reciprocal pattern on 4 stairs",
        "gait speed 0.8 to 0.9 m/s",
    ),
    "97140": (
        "motion improved 5 degrees after grade III mobilizations",
        "less guarding, pain 5/10 to 3/10",
        "tissue restriction reduced",
    ),
    "97530": (
        "10 sit-to-stands without arm support",
        "lifted 10 lb from floor with good mechanics",
        "reached top shelf without compensation",
    ),
    "97535": (
        "patient demonstrated the program independently",
        "teach-back correct on first try",
        "caregiver present and able to assist",
    ),
    "97035": ("tolerated well, no adverse reaction",),
    "97032": ("pain 6/10 to 4/10 after treatment", "tolerated well, skin intact"),
}
UNTIMED_NOTE = {
    "97010": ("hot pack to the {region} before exercise", "skin checked, no redness"),
    "97012": ("mechanical traction for radicular symptoms", "leg symptoms reduced after traction"),
    "97016": ("vasopneumatic compression for post-operative swelling", "girth reduced 1 cm"),
    "G0283": ("unattended electrical stimulation for pain control", "pain 5/10 to 3/10"),
    "97014": ("unattended electrical stimulation for pain control", "pain 5/10 to 3/10"),
}
EVALUATION_NOTE = (
    "initial evaluation of the {region}: history, tests and measures, plan of care",
    "plan of care established with measurable goals; home program issued",
)
REEVALUATION_REASONS = (
    "significant change in condition after a fall at home",
    "new clinical findings: radiating symptoms not present at the evaluation",
    "no measurable progress toward goals; plan revised",
    "re-examination before planned discharge",
)
DISTINCT_REASON = "performed in a separate time block from {other}"
