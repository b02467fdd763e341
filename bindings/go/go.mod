module repoll

go 1.19
