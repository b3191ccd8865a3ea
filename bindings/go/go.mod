module liblfm.example/lfm

go 1.19
