"""The demo programme: fictional people, the WIR series and how each coordinator is doing.

Everything here is invented. Names reflect who works in integration in Hessen.
"""

DEMO_PASSWORD = "wirlearn-demo"  # noqa: S105 - documented demo password, refused in production  # nosec B105

ADMIN = ("admin@wir-hessen.example", "Claudia Brenner")
TRAINERS = (
    ("trainer@imap.example", "Dr. Jana Albrecht"),
    ("trainer2@imap.example", "Murat Arslan"),
)

# The one Gebietskörperschaft without a coordinator (WIR funds 32 of 33).
UNCOVERED_REGION = "Odenwaldkreis"

COORDINATOR_NAMES = (
    "Ayşe Yılmaz",
    "Đorđe Petrović",
    "Nguyễn Thị Hương",
    "Katharina Schäfer",
    "Mehmet Öztürk",
    "Fatima Al-Hassan",
    "Jürgen Weiß",
    "Agnieszka Wiśniewska",
    "Samira Haddad",
    "Tobias Becker",
    "Elif Demir-Krause",
    "Ioannis Papadopoulos",
    "Leyla Rahimi",
    "Sabine Groß",
    "Dragana Jovanović",
    "Hamid Karimi",
    "Marta Kowalczyk",
    "Stefanie Müller-Lüdenscheidt",
    "Tesfay Gebremedhin",
    "Olga Schmidt",
    "Giuseppe Russo",
    "Hatice Çelik",
    "Anna-Lena Hoffmann",
    "Yusuf Abdi",
    "Zeynep Aydın",
    "Thomas Krämer",
    "Amira Ben Salah",
    "Milena Novak",
    "Rüdiger Faßbender",
    "Soraya Nouri",
    "Kemal Şahin",
    "Franziska von Bülow-Aßmann",
)

SERIES = {
    "title": "Change-Manager/in in Willkommens- und Anerkennungskultur – Jahrgang 2026",
    "provider": "imap-Institut",
    "certificate_title": "Change-Manager/in in Willkommens- und Anerkennungskultur",
    "issuer_name": "Hessisches Ministerium für Soziales und Integration",
    "place": "Wiesbaden",
    "description": (
        "Qualifizierungsreihe für die WIR-Koordinationskräfte im Landesprogramm WIR, Schwerpunkt Interkulturelle Öffnung."
    ),
    "min_attendance_percent": 80,
    "min_module_attendance_percent": None,
    "excused_counts": False,
    "late_counts": True,
}

# (title, teaching units, required, assessment kind, max points, pass mark, session day offsets
#  relative to the day the demo is seeded, place)
MODULES = (
    (
        "Grundlagen der Willkommens- und Anerkennungskultur",
        16,
        True,
        "pass_fail",
        None,
        None,
        (-252, -251),
        "Wiesbaden, Haus der Integration",
    ),
    (
        "Interkulturelle Öffnung der Verwaltung",
        16,
        True,
        "pass_fail",
        None,
        None,
        (-210, -209),
        "Frankfurt am Main, Saalbau Gallus",
    ),
    ("Change-Management in Organisationen", 24, True, "pass_fail", None, None, (-168, -167, -154), "Gießen, Hermann-Levi-Saal"),
    ("Diversitätsorientierte Personalentwicklung", 16, True, "points", 100, 60, (-105, -104), "Kassel, Kulturbahnhof"),
    ("Netzwerk- und Kooperationsmanagement", 16, True, "pass_fail", None, None, (-49, -48), "Wiesbaden, Haus der Integration"),
    (
        "Vertiefung: Antidiskriminierung und Empowerment",
        8,
        False,
        "pass_fail",
        None,
        None,
        (0, 14),
        "Darmstadt, Justus-Liebig-Haus",
    ),
)

FEEDBACK_PASSED = (
    "Sehr engagierte Mitarbeit, überzeugende Praxisbeispiele aus der eigenen Kommune.",
    "Gute Reflexion der eigenen Rolle als Koordinationskraft.",
    "Klare Präsentation, das Konzept ist gut auf die Region übertragbar.",
    "Solide Ausarbeitung; die Stakeholder-Analyse ist besonders gelungen.",
)
FEEDBACK_FAILED = (
    "Die Projektskizze fehlt noch; bitte bis zum nächsten Modul nachreichen.",
    "Die Ausarbeitung bleibt zu allgemein; bitte mit konkretem Bezug zur eigenen Verwaltung überarbeiten.",
)
NOTES_EXCUSED = ("Krankmeldung liegt vor", "Dienstliche Verpflichtung (Kreistag)", "Fortbildung des Landkreises")
NOTES_LATE = ("Zugausfall, 30 Minuten später", "kam nach der Mittagspause", "Stau auf der A5")


# The demo certificate's signatories (placeholder names): the design page shows how to set real ones.
CERTIFICATE_PROGRAMME_LINE = "Landesprogramm WIR"
CERTIFICATE_SIGNATORIES = [
    {"name": "Maria Muster", "function": "Referatsleitung Integration, Hessisches Ministerium für Soziales und Integration"},
    {"name": "Jan Beispiel", "function": "Institutsleitung, imap-Institut"},
]
