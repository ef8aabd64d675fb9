# On these VMs the balloon driver hands freed guest memory back to the host (free page reporting,
# about 2 s after it was freed), and the next touch of such a page costs a fault on the host. A
# contender that starts copying a few seconds after the previous copy was deleted (a fresh pwsh,
# or any tool after a slow `sync`) then fills its page cache from that memory and runs slower
# than one that starts at once: the order of a round, not the tool, would decide. Touching and
# freeing memory just before each copy gives every contender memory the guest holds. The
# figures are in results/NOTES.md (free page reporting).
function Reset-MemoryState([long] $Bytes) {
    $zeros = [byte[]]::new(1MB)
    $block = [Runtime.InteropServices.Marshal]::AllocHGlobal([IntPtr]$Bytes)
    # The last piece is cut to what is left: a size that is not a whole number of MiB must not be written past.
    try { for ([long]$offset = 0; $offset -lt $Bytes; $offset += 1MB) { [Runtime.InteropServices.Marshal]::Copy($zeros, 0, [IntPtr]($block.ToInt64() + $offset), [int][Math]::Min([long]1MB, $Bytes - $offset)) } }
    finally { [Runtime.InteropServices.Marshal]::FreeHGlobal($block) }
}

# What the copy benchmarks touch before each copy that writes $CopiedBytes: three times that, and
# at least 256 MiB for trees of empty files, whose inodes and directory entries take memory too.
function Get-MemoryResetBytes([long] $CopiedBytes) { [Math]::Max([long]256MB, 3 * $CopiedBytes) }
