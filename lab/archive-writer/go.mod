module archivewriter

go 1.22
