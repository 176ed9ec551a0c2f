"""What a new region starts with: the reference data of the regulations (PermenPANRB 6/2022
for BerAKHLAK, 14/2017 for the SKM elements), plus a starter competency catalogue and
training rules. Pure data; onboarding writes it. (The default settings are declared with
the settings themselves, in regions/settings.py.)"""

from __future__ import annotations

PREDIKAT = ("SANGAT_BAIK", "BAIK", "BUTUH_PERBAIKAN", "KURANG", "SANGAT_KURANG")

# The 7 core values with their guide behaviours (panduan perilaku), SE MenPANRB 20/2021.
BERAKHLAK = (
    (
        "BERORIENTASI_PELAYANAN",
        "Berorientasi Pelayanan",
        (
            "Memahami dan memenuhi kebutuhan masyarakat",
            "Ramah, cekatan, solutif, dan dapat diandalkan",
            "Melakukan perbaikan tiada henti",
        ),
    ),
    (
        "AKUNTABEL",
        "Akuntabel",
        (
            "Melaksanakan tugas dengan jujur, bertanggung jawab, cermat, disiplin, dan berintegritas tinggi",
            "Menggunakan kekayaan dan barang milik negara secara bertanggung jawab, efektif, dan efisien",
            "Tidak menyalahgunakan kewenangan jabatan",
        ),
    ),
    (
        "KOMPETEN",
        "Kompeten",
        (
            "Meningkatkan kompetensi diri untuk menjawab tantangan yang selalu berubah",
            "Membantu orang lain belajar",
            "Melaksanakan tugas dengan kualitas terbaik",
        ),
    ),
    (
        "HARMONIS",
        "Harmonis",
        (
            "Menghargai setiap orang apapun latar belakangnya",
            "Suka menolong orang lain",
            "Membangun lingkungan kerja yang kondusif",
        ),
    ),
    (
        "LOYAL",
        "Loyal",
        (
            "Memegang teguh ideologi Pancasila, UUD 1945, setia kepada NKRI serta pemerintahan yang sah",
            "Menjaga nama baik sesama ASN, pimpinan, instansi, dan negara",
            "Menjaga rahasia jabatan dan negara",
        ),
    ),
    (
        "ADAPTIF",
        "Adaptif",
        (
            "Cepat menyesuaikan diri menghadapi perubahan",
            "Terus berinovasi dan mengembangkan kreativitas",
            "Bertindak proaktif",
        ),
    ),
    (
        "KOLABORATIF",
        "Kolaboratif",
        (
            "Memberi kesempatan kepada berbagai pihak untuk berkontribusi",
            "Terbuka dalam bekerja sama untuk menghasilkan nilai tambah",
            "Menggerakkan pemanfaatan berbagai sumber daya untuk tujuan bersama",
        ),
    ),
)

# The 9 SKM elements (unsur) of PermenPANRB 14/2017, with the regulation's answer labels.
SKM_ELEMENTS = (
    ("U1", "Persyaratan", ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai")),
    (
        "U2",
        "Sistem, mekanisme dan prosedur",
        ("Tidak mudah", "Kurang mudah", "Mudah", "Sangat mudah"),
    ),
    ("U3", "Waktu penyelesaian", ("Tidak cepat", "Kurang cepat", "Cepat", "Sangat cepat")),
    ("U4", "Biaya/tarif", ("Sangat mahal", "Cukup mahal", "Murah", "Gratis")),
    (
        "U5",
        "Produk spesifikasi jenis pelayanan",
        ("Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"),
    ),
    (
        "U6",
        "Kompetensi pelaksana",
        ("Tidak kompeten", "Kurang kompeten", "Kompeten", "Sangat kompeten"),
    ),
    (
        "U7",
        "Perilaku pelaksana",
        (
            "Tidak sopan dan ramah",
            "Kurang sopan dan ramah",
            "Sopan dan ramah",
            "Sangat sopan dan ramah",
        ),
    ),
    (
        "U8",
        "Penanganan pengaduan, saran dan masukan",
        (
            "Tidak ada",
            "Ada tetapi tidak berfungsi",
            "Berfungsi kurang maksimal",
            "Dikelola dengan baik",
        ),
    ),
    ("U9", "Sarana dan prasarana", ("Buruk", "Cukup", "Baik", "Sangat baik")),
)

# (code, name, kind) — kinds as in the ASN competency standard.
COMPETENCIES = (
    ("MJ-WAKTU", "Manajemen waktu", "MANAGERIAL"),
    ("MJ-MASALAH", "Pemecahan masalah", "MANAGERIAL"),
    ("MJ-KEPUTUSAN", "Pengambilan keputusan", "MANAGERIAL"),
    ("SK-KOMUNIKASI", "Komunikasi efektif", "SOCIO_CULTURAL"),
    ("SK-PELAYANAN", "Pelayanan prima", "SOCIO_CULTURAL"),
    ("SK-KERJASAMA", "Kerja sama tim", "SOCIO_CULTURAL"),
    ("TK-TIK", "Literasi teknologi informasi", "TECHNICAL"),
    ("TK-DATA", "Pengelolaan data dan pelaporan", "TECHNICAL"),
    ("TK-ADMIN", "Administrasi perkantoran", "TECHNICAL"),
)

# Starter training rules: (trigger, value, competency code, priority). A low behaviour
# value points to the socio-cultural or managerial competency behind it.
TRAINING_RULES = (
    ("PREDIKAT", "SANGAT_KURANG", "MJ-WAKTU", 10),
    ("PREDIKAT", "KURANG", "MJ-MASALAH", 20),
    ("PREDIKAT", "BUTUH_PERBAIKAN", "MJ-WAKTU", 30),
    ("WEAK_BEHAVIOUR", "BERORIENTASI_PELAYANAN", "SK-PELAYANAN", 10),
    ("WEAK_BEHAVIOUR", "AKUNTABEL", "MJ-KEPUTUSAN", 20),
    ("WEAK_BEHAVIOUR", "KOMPETEN", "TK-TIK", 20),
    ("WEAK_BEHAVIOUR", "HARMONIS", "SK-KERJASAMA", 30),
    ("WEAK_BEHAVIOUR", "LOYAL", "MJ-KEPUTUSAN", 40),
    ("WEAK_BEHAVIOUR", "ADAPTIF", "MJ-MASALAH", 30),
    ("WEAK_BEHAVIOUR", "KOLABORATIF", "SK-KOMUNIKASI", 20),
    ("WEAK_RESULT", "WAKTU", "MJ-WAKTU", 10),
    ("WEAK_RESULT", "KUALITAS", "TK-DATA", 20),
    ("WEAK_RESULT", "KUANTITAS", "TK-ADMIN", 30),
)
