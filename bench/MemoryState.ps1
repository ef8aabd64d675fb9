# On this VM the balloon driver hands freed guest memory back to the host (free page reporting,
# about 2 s after it was freed) and the next touch of such a page costs a fault on the host:
# populating 4 GiB took 1.2 s when the memory had just been in use and 4.7-9.5 s when it had been
# handed back. A run of splices into the page cache right after coreutils tee found such memory
# and ran 2-4x slower; the same run right after another splice run, or after 6 GiB had been
# touched and freed, did not (a C loop of the same calls behaved the same). A 1 GiB copy by a
# fresh pwsh, which starts copying about a second after the previous copy was deleted, found it
# in about half its rounds (64 MiB copy_file_range calls slowed from 23 ms to 150 ms), where cp,
# started at once, did not. Reset-MemoryState touches and frees $Bytes, so that the run after it
# allocates memory the guest holds, whoever runs it and however long it takes to start.
function Reset-MemoryState([long] $Bytes) {
    $zeros = [byte[]]::new(1MB)
    $block = [Runtime.InteropServices.Marshal]::AllocHGlobal([IntPtr]$Bytes)
    try { for ([long]$offset = 0; $offset -lt $Bytes; $offset += 1MB) { [Runtime.InteropServices.Marshal]::Copy($zeros, 0, [IntPtr]($block.ToInt64() + $offset), 1MB) } }
    finally { [Runtime.InteropServices.Marshal]::FreeHGlobal($block) }
}
