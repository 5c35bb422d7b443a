#!/usr/bin/env python3
"""Disassembles the C2-compiled code of one method, on a JDK without the hsdis plugin.

Without hsdis, -XX:CompileCommand=print dumps each compiled method's machine code as hex; this
script feeds those bytes to binutils' objdump (Debian package binutils). Usage:

  java -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=quiet \
       -XX:CompileCommand=print,org.isthmus.kernels.vector.VectorGemm::microKernel ... > dump.txt
  bench/c2-disassemble.py dump.txt            # the last C2 compilation that is not OSR
  bench/c2-disassemble.py dump.txt --osr      # the last on-stack-replacement one
  bench/c2-disassemble.py dump.txt ::storeExp # the last one whose header contains "::storeExp"

It prints Intel-syntax assembly with the nmethod's own addresses, so branch targets can be followed.
"""
import re
import subprocess
import sys
import tempfile

HEX_LINE = re.compile(r"\s*0x([0-9a-f]+): ((?:[0-9a-f]{2,8}\s*\|?\s*)+)$")


def compilation(lines, osr, names):
    """The lines of the last C2 compilation of the wanted kind, up to the next compilation."""
    starts = [i for i, line in enumerate(lines)
              if line.startswith("Compiled method (c2)") and (" % " in line) == osr
              and all(name in line for name in names)]
    if not starts:
        sys.exit("no %s C2 compilation in the dump" % ("OSR" if osr else "normal"))
    start = starts[-1]
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("Compiled method")), len(lines))
    return lines[start:end]


def machine_code(lines):
    """The [MachCode] bytes and the address of the first, skipping annotation lines."""
    code = bytearray()
    base = None
    in_code = False
    for line in lines:
        if line.startswith("[MachCode]"):
            in_code = True
            continue
        if not in_code:
            continue
        match = HEX_LINE.match(line)
        if not match:
            continue
        address = int(match.group(1), 16)
        if base is None:
            base = address
        if address < base + len(code):
            continue
        code += b"\x90" * (address - base - len(code))
        code += bytes.fromhex("".join(match.group(2).replace("|", " ").split()))
    if base is None:
        sys.exit("no machine code found: was the method printed with -XX:CompileCommand=print?")
    return base, code


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    with open(sys.argv[1], encoding="utf-8", errors="replace") as dump:
        lines = dump.read().split("\n")
    options = sys.argv[2:]
    names = [option for option in options if option != "--osr"]
    base, code = machine_code(compilation(lines, "--osr" in options, names))
    with tempfile.NamedTemporaryFile(suffix=".bin") as binary:
        binary.write(code)
        binary.flush()
        subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-M", "intel",
                        "--adjust-vma=%#x" % base, binary.name], check=True)


if __name__ == "__main__":
    main()
