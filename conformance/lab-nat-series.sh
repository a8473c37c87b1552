#!/bin/sh
# The long NAT traversal series of docs/BENCHMARKS.md (root needed, see docs/LAB.md):
# 100 easy+easy trials and 50 easy+hard trials, each a fresh `anode ping` process.
# Rates and switch times land in conformance/target/lab/<prefix>-<test>/measured.txt.
set -e
cd "$(dirname "$0")/.."
mvn -B -ntp -o -pl conformance -am test -Dnat.trials="${EASY_TRIALS:-100}" \
    -Dtest='NatTraversalLabTest#easyAndEasy*' -Dsurefire.failIfNoSpecifiedTests=false
mvn -B -ntp -o -pl conformance -am test -Dnat.trials="${HARD_TRIALS:-50}" \
    -Dtest='NatTraversalLabTest#easyAndHard*' -Dsurefire.failIfNoSpecifiedTests=false
grep -h -A0 '^easy+' conformance/target/lab/*-easyAnd*/measured.txt
