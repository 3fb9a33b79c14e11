# Progress of a ninja-driven C++/CUDA extension build (pip wheel -v): "[i/n] SOURCE" per compiled file, the
# final link and any error line; everything else stays in the full log. pip -v indents the build's output, ninja
# run by hand does not: both are read. Used by install_env.sh.
/^[ \t]*\[[0-9]+\/[0-9]+\]/ {
  src = ""
  for (f = 2; f < NF; f++) if ($f == "-c") { src = $(f + 1); break }
  n = split(src, parts, "/")
  printf "  %s %s\n", $1, (n ? parts[n] : "link"); fflush(); next
}
/[Ee]rror[: ]/ { print; fflush() }
