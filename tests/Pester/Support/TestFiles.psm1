# Files with known content for the tests, and their hashes.

# Deterministic pseudo-random content, so that a shifted or repeated block changes the hash.
function New-TestFile([string] $Path, [long] $Size, [int] $Seed = 1) {
    $bytes = [byte[]]::new($Size)
    [Random]::new($Seed).NextBytes($bytes)
    [IO.File]::WriteAllBytes($Path, $bytes)
    Get-Item -LiteralPath $Path
}

function Get-Sha([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }

# Bytes a file takes on disk (its blocks), to tell holes kept from holes filled.
function Get-Allocated([string] $Path) { [long](stat -c '%b' -- $Path) * 512 }

Export-ModuleMember -Function New-TestFile, Get-Sha, Get-Allocated
