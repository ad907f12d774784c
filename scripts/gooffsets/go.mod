module gomemtrace/scripts/gooffsets

go 1.19
