// Decay data tables (each value with its source in a comment).
//
// Two data sets:
//
// ENSDF — the Evaluated Nuclear Structure Data File decay data sets as distributed by NNDC (NuDat 3), read from the
//   ENSDF JSON files bundled in the PyPI package paceENSDF 0.6.3 (2024-07, `paceENSDF/ENSDF_JSON/j_input_<parent>_
//   <daughter>_…json`; the file used is named on each nuclide). Absolute photon yields are RI × NR × BR of the
//   data set's normalisation record; mean β energies are Σ Iβ·Ē(β) × NB × BR; alpha energies Σ Iα·Eα normalised
//   to the alpha branch. ENSDF decay data sets carry no atomic radiations (X-rays, Auger electrons), so:
//   * X-ray lines listed in the ENSDF set (Tl-201 Hg K, Ra-223 Rn K) are the ICRP-107 values (flagged);
//   * the local energy = ENSDF β/α (+ α recoil, E_α·m_α/m_daughter) + conversion electrons computed from the
//     ENSDF (BrIcc) shell conversion coefficients, E_ce = Σ I_γ α_s (E_γ − B_s), with K and L1 binding energies
//     from the X-ray Data Booklet (M and higher shells at E_γ) + Auger electrons and photons < 10 keV from
//     ICRP-107 (flagged). The ENSDF-derived conversion-electron energies agree with ICRP-107's to 2–14 %.
//   The Tc-99m isomeric-transition data set is not among the paceENSDF files (only its 3.7e-5 β⁻ branch is): its
//   half-life and 140.5-keV yield come from the NuDat 3 listing of "99TC IT DECAY (6.0072 H)" (E. Browne,
//   J. K. Tuli, Nucl. Data Sheets 145, 25 (2017), literature cut-off 1-Jul-2017: NR = 0.89, BR = 0.999963,
//   RI(140.511) = 100), and its conversion/Auger electron energy from ICRP-107 (flagged).
//
// ICRP-107 — ICRP Publication 107, "Nuclear Decay Data for Dosimetric Calculations", Ann. ICRP 38(3) (2008),
//   doi:10.1016/j.icrp.2008.10.004, file ICRP-07.RAD, read from the JSON transcription in the PyPI package
//   icrp107-database 0.0.3 (2025-11, `icrp107_database/icrp107/<nuclide>.json`). Yields are per nuclear
//   transformation. Local energy = Σ (α + α recoil + β⁻ + β⁺ mean + Auger + internal-conversion electrons +
//   photons < 10 keV) E·y; mean alpha energy = Σ α E·y (recoil not included).
//
// Convention for Ra-223: `meanLocalEnergyMeV` / `meanAlphaEnergyMeV` are Ra-223 ALONE (one Ra-223 transformation);
// the values with the short-lived progeny in secular equilibrium (Rn-219, Po-215, Pb-211, Bi-211, then Tl-207
// (99.724 %) or Po-211 (0.276 %), Bi-211 branching from the ENSDF Bi-211 data sets: BR 0.99724 α / 0.00276 β⁻)
// are in `RadionuclideTable.progeny` and exposed as `Radionuclide.meanLocalEnergyWithProgenyMeV`.
//
// Photon lists: imaging-relevant lines (yield ≥ 1 %, E ≥ 50 keV, plus the strongest lines that define the
// photopeak and TEW windows), highest yield first. Where the two data sets agree to the digits given, the values are
// equal on purpose (noted).

extension RadionuclideTable {
    static let hour = 3600.0
    static let day = 86400.0
    static let minute = 60.0

    // MARK: ENSDF (NNDC NuDat 3 / ENSDF via paceENSDF 0.6.3)
    static let ensdf: [Radionuclide] = [
        Radionuclide(
            name: "Tc-99m",
            // T½ 6.0072 h (9): NuDat 3 "99TC IT DECAY (6.0072 H)", Browne & Tuli NDS 145, 25 (2017); same parent
            // record in paceENSDF j_input_Tc99_Ru99_043099_044099_142.6836keV.json.
            halfLifeSeconds: 6.0072 * hour,
            photons: [
                // 140.511 keV: RI 100 × NR 0.89 × BR 0.999963 = 0.8900 (NuDat 3 IT data set, NDS 145, 25 (2017)).
                PhotonLine(energyKeV: 140.511, yield: 0.8900),
            ],
            // 0.01624 MeV: β⁻ branch 4e-6 MeV (ENSDF, paceENSDF file above) + conversion electrons 0.015245 +
            // Auger 0.000940 + photons < 10 keV 0.000055 MeV from ICRP-107 (ENSDF IT data set not available
            // here in machine-readable form) — NOT an independent ENSDF value; equals the ICRP-107 value.
            meanLocalEnergyMeV: 0.01624,
            dataSet: .ensdf,
            source: "ENSDF: NuDat 3 99TC IT decay (Browne & Tuli, NDS 145, 25 (2017)); electron energy from ICRP-107"),
        Radionuclide(
            name: "I-123",
            // T½ 13.223 h (19): ENSDF, paceENSDF j_input_I123_Te123_053123_052123_0keV.json.
            halfLifeSeconds: 13.223 * hour,
            photons: [
                // 159.0 keV (the data set's value; ICRP-107 gives 158.97): RI 100 × NR 0.836 = 0.836.
                PhotonLine(energyKeV: 159.0, yield: 0.836),
                // 528.97 keV 0.01271 (ENSDF, same file).
                PhotonLine(energyKeV: 528.97, yield: 0.01271),
            ],
            // 0.02833 MeV = CE 0.020545 (ENSDF ICC) + Auger 0.00723 + photons < 10 keV 0.000553 (ICRP-107).
            meanLocalEnergyMeV: 0.02833,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_I123_Te123_053123_052123_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "I-131",
            // T½ 8.0252 d (6): ENSDF, paceENSDF j_input_I131_Xe131_053131_054131_0keV.json.
            halfLifeSeconds: 8.0252 * day,
            photons: [
                // Absolute yields = RI × NR 0.815 (ENSDF, same file).
                PhotonLine(energyKeV: 364.489, yield: 0.815),
                PhotonLine(energyKeV: 636.989, yield: 0.07156),
                PhotonLine(energyKeV: 284.305, yield: 0.06121),
                PhotonLine(energyKeV: 80.185, yield: 0.02616),
                PhotonLine(energyKeV: 722.911, yield: 0.01769),
            ],
            // 0.19324 MeV = β⁻ 0.18185 (ENSDF) + CE 0.010942 (ENSDF ICC) + Auger 0.00041 + photons < 10 keV
            // 0.000037 (ICRP-107).
            meanLocalEnergyMeV: 0.19324,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_I131_Xe131_053131_054131_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "In-111",
            // T½ 2.8047 d (4): ENSDF, paceENSDF j_input_In111_Cd111_049111_048111_0keV.json (equal to ICRP-107).
            halfLifeSeconds: 2.8047 * day,
            photons: [
                // NR 1.0 (ENSDF, same file); equal to ICRP-107 to the digits given.
                PhotonLine(energyKeV: 245.35, yield: 0.9409),
                PhotonLine(energyKeV: 171.28, yield: 0.9065),
            ],
            // 0.03420 MeV = CE 0.02695 (ENSDF ICC) + Auger 0.00688 + photons < 10 keV 0.00037 (ICRP-107).
            meanLocalEnergyMeV: 0.03420,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_In111_Cd111_049111_048111_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "Lu-177",
            // T½ 6.6443 d (9): ENSDF (Kondev evaluation), paceENSDF j_input_Lu177_Hf177_071177_072177_0keV.json.
            halfLifeSeconds: 6.6443 * day,
            photons: [
                // RI × NR 0.1041 (ENSDF, same file).
                PhotonLine(energyKeV: 208.3662, yield: 0.1041),
                PhotonLine(energyKeV: 112.9498, yield: 0.06225),
            ],
            // 0.14795 MeV = β⁻ 0.133644 (ENSDF) + CE 0.01289 (ENSDF ICC) + Auger 0.00113 + photons < 10 keV
            // 0.000288 (ICRP-107).
            meanLocalEnergyMeV: 0.14795,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Lu177_Hf177_071177_072177_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "Ga-68",
            // T½ 67.71 min (8): ENSDF, paceENSDF j_input_Ga68_Zn68_031068_030068_0keV.json (equal to ICRP-107).
            halfLifeSeconds: 67.71 * minute,
            photons: [
                // 511 keV annihilation: 2 × Σ Iβ⁺ = 2 × 0.88910 (ENSDF, same file).
                PhotonLine(energyKeV: 511.0, yield: 1.7782),
                // 1077.34 keV: NR 0.0322 × RI 100 (ENSDF, same file).
                PhotonLine(energyKeV: 1077.34, yield: 0.0322),
            ],
            // 0.73852 MeV = β⁺ 0.737553 (ENSDF) + CE 0.00001 + Auger 0.00055 + photons < 10 keV 0.000407 (ICRP-107).
            meanLocalEnergyMeV: 0.73852,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Ga68_Zn68_031068_030068_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "F-18",
            // T½ 109.77 min (5): ENSDF, paceENSDF j_input_F18_O18_009018_008018_0keV.json (equal to ICRP-107).
            halfLifeSeconds: 109.77 * minute,
            photons: [
                // 2 × Iβ⁺ 0.9673 (ENSDF, same file); equal to ICRP-107 (1.9346).
                PhotonLine(energyKeV: 511.0, yield: 1.9346),
            ],
            // β⁺ mean 249.8 keV × 0.9673 = 0.24163 MeV (ENSDF, same file).
            meanLocalEnergyMeV: 0.24163,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_F18_O18_009018_008018_0keV.json"),
        Radionuclide(
            name: "Y-90",
            // T½ 64.05 h (5): ENSDF, paceENSDF j_input_Y90_Zr90_039090_040090_0keV.json.
            halfLifeSeconds: 64.05 * hour,
            // No imaging photon line: the 1760.7-keV γ and the internal-pair 511-keV photons are < 1e-4 per decay;
            // Y-90 is imaged through bremsstrahlung (continuous, not a line) or PET.
            photons: [],
            // β⁻ mean 0.93231 MeV (ENSDF, same file).
            meanLocalEnergyMeV: 0.93231,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Y90_Zr90_039090_040090_0keV.json"),
        Radionuclide(
            name: "Ra-223",
            // T½ 11.4366 d (28): ENSDF, paceENSDF j_input_Ra223_Rn219_088223_086219_0keV.json.
            halfLifeSeconds: 11.4366 * day,
            photons: [
                // Rn K X-rays: ICRP-107 values (ENSDF carries no X-rays) — flagged.
                PhotonLine(energyKeV: 84.145, yield: 0.2594),
                PhotonLine(energyKeV: 81.368, yield: 0.1573),
                // γ: RI × NR 0.0602 (ENSDF, same file).
                PhotonLine(energyKeV: 269.463, yield: 0.1330),
                PhotonLine(energyKeV: 154.208, yield: 0.0602),
                PhotonLine(energyKeV: 323.871, yield: 0.03642),
                PhotonLine(energyKeV: 144.235, yield: 0.03474),
                PhotonLine(energyKeV: 338.282, yield: 0.02601),
            ],
            // Ra-223 alone: α 5.66593 + recoil 0.10355 + CE 0.06734 (ENSDF) + Auger 0.00921 + photons < 10 keV
            // 0.00091 (ICRP-107) = 5.84695 MeV.
            meanLocalEnergyMeV: 5.84695,
            // Σ Iα Eα / Σ Iα over the Ra-223 α branch (ENSDF, same file; Σ Iα = 99.35 % as tabulated).
            meanAlphaEnergyMeV: 5.66593,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Ra223_Rn219_088223_086219_0keV.json; X-rays and Auger from ICRP-107"),
        Radionuclide(
            name: "Sm-153",
            // T½ 46.284 h (4): ENSDF, paceENSDF j_input_Sm153_Eu153_062153_063153_0keV.json.
            halfLifeSeconds: 46.284 * hour,
            photons: [
                // RI × NR 0.002914 (ENSDF, same file).
                PhotonLine(energyKeV: 103.1801, yield: 0.2914),
                PhotonLine(energyKeV: 69.673, yield: 0.04668),
            ],
            // 0.26953 MeV = β⁻ 0.224445 (ENSDF) + CE 0.038234 (ENSDF ICC) + Auger 0.00602 + photons < 10 keV
            // 0.000828 (ICRP-107).
            meanLocalEnergyMeV: 0.26953,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Sm153_Eu153_062153_063153_0keV.json; Auger from ICRP-107"),
        Radionuclide(
            name: "Tl-201",
            // T½ 3.042 d (16): ENSDF, paceENSDF j_input_Tl201_Hg201_081201_080201_0keV.json.
            halfLifeSeconds: 3.042 * day,
            photons: [
                // Hg K X-rays: ICRP-107 values (ENSDF carries no X-rays) — flagged. Kα1, Kα2, Kβ1 (Kβ3 80.079 and
                // Kβ2 82.8 keV lines in ICRP-107 are 5.1 % and 2.4 %).
                PhotonLine(energyKeV: 71.066, yield: 0.4637),
                PhotonLine(energyKeV: 69.099, yield: 0.2736),
                // γ: RI × NR 0.100 (ENSDF, same file).
                PhotonLine(energyKeV: 167.43, yield: 0.100),
                PhotonLine(energyKeV: 80.516, yield: 0.09914),
                PhotonLine(energyKeV: 80.079, yield: 0.05122),
                PhotonLine(energyKeV: 135.34, yield: 0.02605),
                PhotonLine(energyKeV: 82.786, yield: 0.02365),
            ],
            // 0.04647 MeV = CE 0.028998 (ENSDF ICC) + Auger 0.01479 + photons < 10 keV 0.00268 (ICRP-107).
            meanLocalEnergyMeV: 0.04647,
            dataSet: .ensdf,
            source: "ENSDF via paceENSDF 0.6.3 j_input_Tl201_Hg201_081201_080201_0keV.json; X-rays and Auger from ICRP-107"),
    ]

    // MARK: ICRP Publication 107 (ICRP-07.RAD via icrp107-database 0.0.3)
    static let icrp107: [Radionuclide] = [
        Radionuclide(
            name: "Tc-99m",
            halfLifeSeconds: 6.015 * hour,                               // ICRP-107: 6.015 h
            photons: [PhotonLine(energyKeV: 140.511, yield: 0.8906)],    // ICRP-107: 0.890567
            // α 0 + β⁻ 0.0000042 + Auger 0.000940 + IE 0.015245 + photons < 10 keV 0.000055 = 0.016244 MeV.
            meanLocalEnergyMeV: 0.016244,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Tc-99m (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "I-123",
            halfLifeSeconds: 13.27 * hour,                               // ICRP-107: 13.27 h
            photons: [
                PhotonLine(energyKeV: 158.97, yield: 0.833),             // ICRP-107
                PhotonLine(energyKeV: 528.96, yield: 0.01391),           // ICRP-107
            ],
            // Auger 0.00723 + IE 0.02095 + photons < 10 keV 0.000553 = 0.028735 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.028735,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD I-123 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "I-131",
            halfLifeSeconds: 8.0207 * day,                               // ICRP-107: 8.0207 d
            photons: [                                                   // ICRP-107 yields
                PhotonLine(energyKeV: 364.489, yield: 0.817),
                PhotonLine(energyKeV: 636.989, yield: 0.07173),
                PhotonLine(energyKeV: 284.305, yield: 0.06136),
                PhotonLine(energyKeV: 80.185, yield: 0.02623),
                PhotonLine(energyKeV: 722.911, yield: 0.01773),
            ],
            // β⁻ 0.18187 + Auger 0.00041 + IE 0.00957 + photons < 10 keV 0.000037 = 0.19188 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.19188,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD I-131 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "In-111",
            halfLifeSeconds: 2.8047 * day,                               // ICRP-107: 2.8047 d (equal to ENSDF)
            photons: [                                                   // ICRP-107 (equal to ENSDF to 4 digits)
                PhotonLine(energyKeV: 245.35, yield: 0.9409),
                PhotonLine(energyKeV: 171.28, yield: 0.9065),
            ],
            // Auger 0.00688 + IE 0.02794 + photons < 10 keV 0.00037 = 0.03519 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.03519,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD In-111 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Lu-177",
            halfLifeSeconds: 6.647 * day,                                // ICRP-107: 6.647 d
            photons: [                                                   // ICRP-107 yields (older evaluation)
                PhotonLine(energyKeV: 208.366, yield: 0.1100),
                PhotonLine(energyKeV: 112.950, yield: 0.0640),
            ],
            // β⁻ 0.13327 + Auger 0.00113 + IE 0.01352 + photons < 10 keV 0.000288 = 0.14821 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.14821,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Lu-177 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Ga-68",
            halfLifeSeconds: 67.71 * minute,                             // ICRP-107: 67.71 min (equal to ENSDF)
            photons: [
                PhotonLine(energyKeV: 511.0, yield: 1.7782),             // ICRP-107 annihilation 1.77822
                PhotonLine(energyKeV: 1077.34, yield: 0.0322),           // ICRP-107 (equal to ENSDF)
            ],
            // β⁺ 0.73738 + Auger 0.00055 + IE 0.00001 + photons < 10 keV 0.00041 = 0.73835 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.73835,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Ga-68 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "F-18",
            halfLifeSeconds: 109.77 * minute,                            // ICRP-107: 109.77 min (equal to ENSDF)
            photons: [PhotonLine(energyKeV: 511.0, yield: 1.9346)],      // ICRP-107 annihilation (equal to ENSDF)
            meanLocalEnergyMeV: 0.24161,                                 // ICRP-107 β⁺ mean per decay
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD F-18 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Y-90",
            halfLifeSeconds: 64.10 * hour,                               // ICRP-107: 64.1 h
            photons: [],                                                 // no line ≥ 1e-4 per decay (ICRP-107)
            meanLocalEnergyMeV: 0.93311,                                 // ICRP-107: β⁻ 0.93290 + IE 0.00020
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Y-90 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Ra-223",
            halfLifeSeconds: 11.43 * day,                                // ICRP-107: 11.43 d
            photons: [                                                   // ICRP-107 yields
                PhotonLine(energyKeV: 84.145, yield: 0.2594),            // Rn Kα1
                PhotonLine(energyKeV: 81.368, yield: 0.1573),            // Rn Kα2
                PhotonLine(energyKeV: 269.463, yield: 0.1390),
                PhotonLine(energyKeV: 154.208, yield: 0.05699),
                PhotonLine(energyKeV: 95.246, yield: 0.05699),           // Rn Kβ1
                PhotonLine(energyKeV: 323.871, yield: 0.03989),
                PhotonLine(energyKeV: 144.235, yield: 0.03266),
                PhotonLine(energyKeV: 338.282, yield: 0.02836),
            ],
            // Ra-223 alone: α 5.66660 + recoil 0.10357 + Auger 0.00921 + IE 0.06888 + photons < 10 keV 0.00091
            // = 5.84917 MeV (ICRP-107).
            meanLocalEnergyMeV: 5.84917,
            meanAlphaEnergyMeV: 5.66660,                                 // ICRP-107 Σ α E·y
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Ra-223 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Sm-153",
            halfLifeSeconds: 46.50 * hour,                               // ICRP-107: 46.5 h
            photons: [                                                   // ICRP-107 yields
                PhotonLine(energyKeV: 103.180, yield: 0.2980),
                PhotonLine(energyKeV: 69.673, yield: 0.04845),
            ],
            // β⁻ 0.22357 + Auger 0.00602 + IE 0.04029 + photons < 10 keV 0.00083 = 0.27071 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.27071,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Sm-153 (via icrp107-database 0.0.3)"),
        Radionuclide(
            name: "Tl-201",
            halfLifeSeconds: 72.912 * hour,                              // ICRP-107: 72.912 h (= 3.0380 d)
            photons: [                                                   // ICRP-107 yields
                PhotonLine(energyKeV: 71.066, yield: 0.4637),            // Hg Kα1
                PhotonLine(energyKeV: 69.099, yield: 0.2736),            // Hg Kα2
                PhotonLine(energyKeV: 167.43, yield: 0.1000),
                PhotonLine(energyKeV: 80.516, yield: 0.09914),           // Hg Kβ1
                PhotonLine(energyKeV: 80.079, yield: 0.05122),           // Hg Kβ3
                PhotonLine(energyKeV: 135.34, yield: 0.02565),
                PhotonLine(energyKeV: 82.786, yield: 0.02365),           // Hg Kβ2
            ],
            // Auger 0.01479 + IE 0.02990 + photons < 10 keV 0.00268 = 0.04738 MeV (ICRP-107).
            meanLocalEnergyMeV: 0.04738,
            dataSet: .icrp107,
            source: "ICRP Publication 107 (2008), ICRP-07.RAD Tl-201 (via icrp107-database 0.0.3)"),
    ]

    /// Values per decay of the parent with its short-lived progeny in secular equilibrium, keyed by canonical name.
    ///
    /// Ra-223 chain: Ra-223 → Rn-219 → Po-215 → Pb-211 → Bi-211 → Tl-207 (0.99724) / Po-211 (0.00276) → Pb-207.
    /// - ENSDF: α 26.3754 MeV; local 27.9088 MeV (each member: ENSDF α, recoil, β⁻, CE from the paceENSDF files
    ///   j_input_{Ra223_Rn219, Rn219_Po215, Po215_Pb211, Pb211_Bi211, Bi211_Tl207, Bi211_Po211, Tl207_Pb207,
    ///   Po211_Pb207}…json, + ICRP-107 Auger and photons < 10 keV).
    /// - ICRP-107: α 26.3766 MeV; local 27.9170 MeV (Σ of the members' ICRP-07.RAD totals with the same branching).
    static let progeny: [DecayDataSet: [String: (localMeV: Double, alphaMeV: Double)]] = [
        .ensdf: ["Ra-223": (27.9088, 26.3754)],
        .icrp107: ["Ra-223": (27.9170, 26.3766)],
    ]
}

extension Radionuclide {
    /// Mean energy deposited locally per decay of this nuclide *with its short-lived progeny in secular
    /// equilibrium* (MeV); equal to ``meanLocalEnergyMeV`` for nuclides without such progeny. For Ra-223 this is
    /// the whole chain to Pb-207 (≈ 27.9 MeV), the convention of most Ra-223 dosimetry.
    public var meanLocalEnergyWithProgenyMeV: Double {
        RadionuclideTable.progeny[dataSet]?[name]?.localMeV ?? meanLocalEnergyMeV
    }
    /// Mean alpha energy per decay with progeny in equilibrium (MeV); see ``meanLocalEnergyWithProgenyMeV``.
    public var meanAlphaEnergyWithProgenyMeV: Double {
        RadionuclideTable.progeny[dataSet]?[name]?.alphaMeV ?? meanAlphaEnergyMeV
    }
}
