#!/usr/bin/env python3
"""The cost breakdown of one GG20 presignature, from a callgrind profile.

Runs build/bench/gg20/presign_profile (bench/gg20/presign_profile.cc) under
callgrind with one dump per exponentiation and one per stretch of other work,
then prints, in units of the same-run baseline (one mpz_powm with a 2048-bit
exponent modulo a 4096-bit N^2, counted in instructions):

  * every exponentiation of one presignature grouped by what it computes
    (call site, modulus relative to the party computing it, exponent size),
    with its count per presignature and per ordered signer pair, and which
    of them are the issue's floor;
  * per party: exponentiations and other work;
  * the other work (not exponentiations) by function.

Usage:
  bench/gg20/presign_profile.py [--build build] [--signers 3] [--markdown]
                                [--keep DIR] [--from DIR]

--from DIR re-reads a kept run (DIR/log.tsv and DIR/cg.out.*) without
running valgrind. Needs valgrind (callgrind) and nm (binutils).
Instruction counts are deterministic for a given build, so two runs of the
same commit agree exactly; units by instructions differ slightly from units
by time (different instruction mixes), see docs/BENCHMARKS.md.
"""

import argparse
import collections
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

# (regex on the call site, regex on "<fn> <modulus> <exp_bits>", label, floor)
# Checked in order; the first match wins. Labels name who computes what:
# "Alice" is the party whose K is in the MtA, "Bob" the responder.
RULES = [
    (r"NonceToNthPower < NthPower < ProvePiEncUnchecked", r"",
     "Πenc prove (Alice): r^N0 of A, own key by CRT (4 sec. powm mod p, p², q, q²)", False),
    (r"^BigInt::PowMod < ProvePiEncUnchecked", r"",
     "Πenc prove (Alice): ρ^e mod own N0 for z2 (256-bit e, var.-time)", False),
    (r"PaillierEquationHolds < VerifyPiEnc", r"N\^2 (20[0-9][0-9])$",
     "Πenc verify (Bob): z2^N0 mod foreign N0²", True),
    (r"PaillierEquationHolds < VerifyPiEnc", r"",
     "Πenc verify (Bob): K^e mod foreign N0² (256-bit e)", False),
    (r"RingPedersenEquationHolds < VerifyPiEnc", r"",
     "Πenc verify (Bob): s^z1 t^z3 and S^e mod own N̂ (CRT, sec.)", False),
    (r"MulScalar", r"",
     "Bob: K^x mod foreign N0² for D (x secret, 256-bit, sec.)", False),
    (r"NthPower < NextNonce < ProvePiAffGUnchecked", r"",
     "Πaff-g prove (Bob): r^N0 of A mod foreign N0² (var.-time, secret base)", True),
    (r"NthPower < NextNonce", r"",
     "Bob: ρ^N0 of D mod foreign N0² (var.-time, secret base)", True),
    (r"PowModSecret < ProvePiAffGUnchecked", r"",
     "Πaff-g prove (Bob): K^α mod foreign N0² of A (α secret, 768-bit, sec.)", False),
    (r"NonceToNthPower < NthPower < ProvePiAffGUnchecked", r"",
     "Πaff-g prove (Bob): r_y^N1 of B_y, own key by CRT", False),
    (r"^BigInt::PowMod < ProvePiAffGUnchecked", r"foreign N ",
     "Πaff-g prove (Bob): ρ^e mod foreign N0 for w (var.-time)", False),
    (r"^BigInt::PowMod < ProvePiAffGUnchecked", r"own N ",
     "Πaff-g prove (Bob): ρ_y^e mod own N1 for w_y (var.-time)", False),
    # The pair with one Paillier commitment (gg20/presign/v4): the shared
    # equation by halves decrypts D_1, D_2 (the α's) and A.
    (r"Decrypt <  < VerifyPiAffGPair < VerifyResponses", r"",
     "Πaff-g pair verify (Alice): decrypt D_1, D_2 (the α's) and the shared A (N0 equation by halves)", False),
    (r"CrtExponentiator::Pow <  < VerifyPiAffGPair < VerifyResponses", r"",
     "Πaff-g pair verify (Alice): K^(z1+z1')·w^N0 vs A·D^e·D'^e' mod own N0 (CRT mod p, q)", False),
    (r"Decrypt < VerifyPiAffGPair", r"",
     "Πaff-g pair verify (Alice): decrypt A·A'^c (a Bob's two N0 plaintext halves combined)", False),
    (r"Decrypt <  < VerifyPiAffGPair", r"",
     "Πaff-g verify (Alice): decrypt D in each proof (N0 equation by halves; Dec(D) is α)", False),
    (r"^BigInt::PowMod < VerifyPiAffGPair", r"own N\^2 ",
     "Πaff-g pair verify (Alice): A'^c mod own N0² (128-bit public combiner c)", False),
    (r"^BigInt::PowMod < VerifyPiAffGPair", r"foreign N\^2 (2[0-9][0-9])$",
     "Πaff-g pair verify (Alice): Y'^e' mod foreign N1² (256-bit e', N1 equations combined)", False),
    (r"^BigInt::PowMod < VerifyPiAffGPair", r"foreign N\^2 ",
     "Πaff-g pair verify (Alice): (B_y'·Y'^e')^c mod foreign N1² (128-bit c)", False),
    (r"^BigInt::PowMod < VerifyPiAffGPair", r" N ",
     "Πaff-g pair verify (Alice): w'^c mod own N0, w_y'^c mod foreign N1 (128-bit c)", False),
    (r"CrtExponentiator::Pow < VerifyPiAffGPair", r"own [pq] (3[0-9][0-9])$",
     "Πaff-g pair verify (Alice): D'^(c·e') mod own p, q (384-bit, N0 residue halves combined)", False),
    (r"Decrypt < VerifyPiAffG", r"",
     "Πaff-g verify (Alice): decrypt A and D, own key (N0 equation by halves; Dec(D) is α)", False),
    (r"CrtExponentiator::Pow < ( < )?VerifyPiAffG", r"own [pq] ",
     "Πaff-g verify (Alice): K^z1·w^N0 vs A·D^e mod own N0 (CRT mod p, q)", False),
    (r"NonceToNthPower < NthPower < ( < )?VerifyPiAffG", r"",
     "Πaff-g verify (Alice): w^N0 mod own N0² (CRT)", False),
    (r"CrtExponentiator::Pow < ( < )?VerifyPiAffG", r" (7[0-9][0-9])$",
     "Πaff-g verify (Alice): K^z1 mod own N0² (CRT, 768-bit z1)", False),
    (r"CrtExponentiator::Pow < ( < )?VerifyPiAffG", r"",
     "Πaff-g verify (Alice): D^e mod own N0² (CRT)", False),
    (r"PaillierEquationHolds < ( < )?VerifyPiAffG", r"N\^2 (20[0-9][0-9])$",
     "Πaff-g verify (Alice): w_y^N1 mod foreign N1²", True),
    (r"PaillierEquationHolds < ( < )?VerifyPiAffG", r"",
     "Πaff-g verify (Alice): Y^e mod foreign N1² (256-bit e)", False),
    (r"RingPedersenEquationHolds < ( < )?VerifyPiAffG", r"",
     "Πaff-g verify (Alice): 2 ring-Pedersen equations mod own N̂ (CRT, sec.)", False),
    (r"Decrypt", r"", "Alice: decrypt D (own key, CRT)", False),
    (r"RingPedersenEquationHolds < VerifyPiLogRp", r"",
     "Πlog-rp verify: s^z1 t^z3 and S^e mod own N̂ (CRT, sec.)", False),
    (r"Scalar::Inverse", r"", "secp256k1 scalar inverse (Fermat)", False),
]

# Other work (not exponentiations): functions whose inclusive cost is shown.
OTHER_FUNCTIONS = [
    # Exponentiations that do not go through mpz_powm / mpn_sec_powm (the
    # wrappers cannot see them): the constant-time Montgomery code.
    ("NextNonceTimesPower", "Bob: K^x·ρ^N0 (D) and K^α·r^N0 (Πaff-g's A) mod foreign N0², one simultaneous exponentiation each (floor + secret power)"),
    ("Montgomery::PowPublicExponent", "other secret-base powers with a public exponent (Montgomery::PowPublicExponent: provers' ρ^e, foreign r^N)"),
    ("RingPedersenTable::Commit", "prover ring-Pedersen commitments (per-peer tables)"),
    ("PaillierPrivateKey::Encrypt", "own-key encryptions (fixed-base combs)"),
    ("CrtExponentiator::PowProduct", "Alice's residue half mod p, q (C^Σz1·w^N0 vs A·D_1^e1·D_2^e2, one product of powers per side and prime)"),
    ("RingPedersenSecret::PowT", "ring-Pedersen owner's t^e mod p̂, q̂ in the verifiers' equations (fixed-base combs, CRT)"),
    ("__gmpz_gcd", "gcd (unit checks of ciphertexts and proof values)"),
    ("__gmpz_invert", "modular inverses"),
    ("BigInt::ModConstTime", "constant-time reductions (CRT recombination)"),
    ("__gmpz_tdiv_r", "variable-time reductions (BigInt::Mod, ModMul)"),
    ("__gmpz_fdiv_r", "variable-time reductions (BigInt::Mod, ModMul)"),
    ("__gmpz_mul", "big-integer multiplications"),
    ("secp256k1_", "secp256k1 (libsecp256k1)"),
]


def run_profile(build, signers, out_dir):
    exe = os.path.join(build, "bench", "gg20", "presign_profile")
    if not os.path.exists(exe):
        sys.exit(f"{exe} not built (cmake --build {build} --target presign_profile)")
    if shutil.which("valgrind") is None:
        sys.exit("valgrind not found (apt-get install valgrind)")
    cmd = ["valgrind", "--tool=callgrind",
           f"--callgrind-out-file={out_dir}/cg.out",
           "--dump-before=nitro_profile_dump", "--dump-instr=no",
           "--compress-strings=no", "--compress-pos=no",
           exe, str(signers), f"{out_dir}/log.tsv"]
    with open(os.path.join(out_dir, "valgrind.log"), "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT)


def read_dump(path):
    """Total instructions of one dump, and the inclusive cost of each
    OTHER_FUNCTIONS entry (self cost plus calls made, counted once where one
    listed function calls another)."""
    total = 0
    self_cost = collections.Counter()
    call_cost = collections.Counter()  # (caller, callee) -> inclusive
    fn = None
    cfn = None
    pending_call = False
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                total = int(line.split()[1])
            elif line.startswith("fn="):
                fn = line[3:].strip()
            elif line.startswith("cfn="):
                cfn = line[4:].strip()
            elif line.startswith("calls="):
                pending_call = True
            elif line[:1].isdigit() or line[:1] in "+-*":
                parts = line.split()
                if len(parts) < 2:
                    continue
                cost = int(parts[1])
                if pending_call:
                    call_cost[(fn, cfn)] += cost
                    pending_call = False
                else:
                    self_cost[fn] += cost
    return total, self_cost, call_cost


def classify_other(self_cost, call_cost):
    def which(name):
        if name is None:
            return None
        for i, (pat, _) in enumerate(OTHER_FUNCTIONS):
            if pat in name:
                return i
        return None

    out = collections.Counter()
    for name, c in self_cost.items():
        w = which(name)
        if w is not None:
            out[w] += c
    for (caller, callee), c in call_cost.items():
        wc, we = which(caller), which(callee)
        # Inclusive cost of the caller; a call between two listed functions
        # (or within one) is counted once, for the outer one.
        if wc is not None and we != wc:
            out[wc] += c
            if we is not None:
                out[we] -= c
    return out


def label_of(site, fn, modulus, exp_bits):
    key = f"{fn} {modulus} {exp_bits}"
    for site_re, key_re, label, floor in RULES:
        if re.search(site_re, site) and re.search(key_re, key):
            return label, floor
    return f"? {site} [{key}]", False


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build")
    ap.add_argument("--signers", type=int, default=3, choices=[2, 3])
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--keep", help="keep the run in this directory")
    ap.add_argument("--from", dest="from_dir", help="re-read a kept run")
    args = ap.parse_args()

    if args.from_dir:
        out_dir = args.from_dir
    else:
        out_dir = args.keep or tempfile.mkdtemp(prefix="presign_profile_")
        os.makedirs(out_dir, exist_ok=True)
        for old in glob.glob(os.path.join(out_dir, "cg.out*")):
            os.remove(old)
        run_profile(args.build, args.signers, out_dir)

    with open(os.path.join(out_dir, "log.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        records = [dict(zip(header, l.rstrip("\n").split("\t"))) for l in f]
    dumps = sorted(glob.glob(os.path.join(out_dir, "cg.out.*")),
                   key=lambda p: int(p.rsplit(".", 1)[1]))
    if len(dumps) != len(records):
        sys.exit(f"{len(dumps)} dumps for {len(records)} log records")

    unit = None
    pairs = args.signers * (args.signers - 1)
    ops = collections.OrderedDict()  # label -> [count, instructions, floor]
    per_party = collections.defaultdict(lambda: [0, 0])  # powm, other
    other_fn = collections.Counter()
    other_total = 0
    for rec, path in zip(records, dumps):
        total, self_cost, call_cost = read_dump(path)
        kind = rec["kind"]
        if kind == "S":
            continue
        if kind == "B":
            unit = total
            continue
        party = int(rec["party"])
        if kind == "O":
            per_party[party][1] += total
            other_total += total
            for k, v in classify_other(self_cost, call_cost).items():
                other_fn[k] += v
            continue
        label, floor = label_of(rec["site"], rec["fn"], rec["modulus"],
                                rec["exp_bits"])
        entry = ops.setdefault(label, [0, 0, floor])
        entry[0] += 1
        entry[1] += total
        per_party[party][0] += total
    if unit is None:
        sys.exit("no baseline record")

    u = lambda instr: instr / unit
    powm_total = sum(v[1] for v in ops.values())
    floor_total = sum(v[1] for v in ops.values() if v[2])
    md = args.markdown
    print(f"Presigning, {args.signers} signers ({pairs} ordered pairs); "
          f"1 unit = {unit:,} instructions (baseline mpz_powm)\n")
    if md:
        print("| Exponentiation (who: what, modulus) | GMP calls | per pair | "
              "units each | units total | floor |")
        print("|---|---:|---:|---:|---:|:---:|")
    else:
        print(f"{'exponentiation':<90} {'calls':>5} {'/pair':>6} "
              f"{'each':>7} {'total':>7} floor")
    for label, (count, instr, floor) in sorted(ops.items(),
                                               key=lambda kv: -kv[1][1]):
        each = u(instr) / count
        if md:
            print(f"| {label} | {count} | {count / pairs:g} | {each:.3f} | "
                  f"{u(instr):.2f} | {'✔' if floor else ''} |")
        else:
            print(f"{label:<90} {count:>5} {count / pairs:>6g} {each:>7.3f} "
                  f"{u(instr):>7.2f} {'floor' if floor else ''}")
    rows = [("exponentiations, all", powm_total),
            ("  of which the floor", floor_total),
            ("  not the floor", powm_total - floor_total),
            ("other work (below)", other_total),
            ("presignature, total", powm_total + other_total)]
    print()
    for name, instr in rows:
        if md:
            print(f"- {name}: **{u(instr):.2f}** units "
                  f"({u(instr) / pairs:.2f} per ordered pair)")
        else:
            print(f"{name:<24} {u(instr):8.2f} units  "
                  f"{u(instr) / pairs:6.2f} per ordered pair")
    print("\nPer party (units): exponentiations, other work")
    for party in sorted(per_party):
        p, o = per_party[party]
        name = f"party {party}" if party else "session setup"
        print(f"  {name}: {u(p):.2f}, {u(o):.2f}")
    print("\nOther work by function (inclusive, units)")
    listed = 0
    merged = collections.Counter()
    for i, c in other_fn.items():
        merged[OTHER_FUNCTIONS[i][1]] += c
    for name, c in merged.most_common():
        listed += c
        print(f"  {name}: {u(c):.2f}")
    print(f"  everything else (hashing, encodings, proto, bookkeeping): "
          f"{u(other_total - listed):.2f}")
    if not args.from_dir and not args.keep:
        shutil.rmtree(out_dir)


if __name__ == "__main__":
    main()
