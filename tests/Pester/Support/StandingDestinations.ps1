# What may already stand where a copy writes, for the tests of what a copy does with it: a FIFO
# with a reader that this file starts and stops, a device node made with mknod under a test's own
# directory (never a real /dev node), and a file owned by another user with a mode of its own.
# Dot-source it in BeforeDiscovery (for Get-BothWaysCase) and in BeforeAll; New-StandingOwner
# needs root (useradd) and Remove-StandingOwner removes the user again.

. (Join-Path $PSScriptRoot 'Attack.ps1')

# The test cases of a remote copy each way with each transport.
function Get-BothWaysCase {
    foreach ($direction in 'ToSession', 'FromSession') { foreach ($transport in 'Encrypted', 'Plain', 'Session') { @{ Direction = $direction; Transport = $transport } } }
}

# A new directory $Name here (under $Local) and one on the host (under $Far): From is where the
# copy in $Direction reads, Into where it writes (the host's root is a directory of this machine too).
function Get-Ends([string] $Direction, [string] $Name, [string] $Local, [string] $Far) {
    $here = Join-Path $Local $Name
    $there = Join-Path $Far $Name
    New-Item -ItemType Directory -Path $here, $there | Out-Null
    if ($Direction -eq 'ToSession') { @{ From = $here; Into = $there } } else { @{ From = $there; Into = $here } }
}

# A user of this run only (a random name, so that runs side by side do not share one).
function New-StandingOwner { New-AttackUser "smkeep$(Get-Random -Minimum 10000 -Maximum 99999)" }

function Remove-StandingOwner($Owner) { Remove-AttackUser $Owner }

# A FIFO at $Fifo and a reader that copies what comes through it into $Into until the writer closes it.
function Start-FifoReader([string] $Fifo, [string] $Into) {
    if (-not (Test-Path -LiteralPath $Fifo)) { mkfifo -- $Fifo }
    $start = [Diagnostics.ProcessStartInfo]::new('bash')
    foreach ($argument in '-c', 'exec cat -- "$0" > "$1"', $Fifo, $Into) { $start.ArgumentList.Add($argument) }
    [Diagnostics.Process]::Start($start)
}

# Waits for the reader to end (its writer closed the FIFO); true if it did, else it is killed.
function Stop-FifoReader($Reader) {
    if ($Reader.WaitForExit(10000)) { return $true }
    Stop-Process -Id $Reader.Id -Force -ErrorAction Ignore
    $null = $Reader.WaitForExit(5000)
    $false
}

# A character device node like /dev/null (1:3) at $Path.
function New-NullNode([string] $Path) {
    mknod -- $Path c 1 3
    if ($LASTEXITCODE -ne 0) { throw "mknod $Path failed" }
}

# What the FIFO and device node are after a copy: still what they were.
function Get-NodeFact([string] $Path) { stat -c '%F %t:%T' -- $Path }

# A file at $Path that $Owner owns, with mode $Mode.
function New-ForeignFile([string] $Path, $Owner, [string] $Mode) {
    Set-Content -LiteralPath $Path -Value 'old content'
    chown -- "$($Owner.Uid):$($Owner.Gid)" $Path
    chmod -- $Mode $Path
}

# Owner, group and mode of $Path.
function Get-OwnerFact([string] $Path) { stat -c '%u:%g %a' -- $Path }

# A file of $Size bytes with a hole in its middle (sparse: its zeros are not sent), so that a
# FIFO or device written in place must get them written.
function New-HoledFile([string] $Path, [long] $Size = 1MB) {
    $null = New-TestFile $Path 70000
    truncate -s $Size -- $Path
    bash -c 'printf tail | dd of="$0" bs=1 seek=$(($1 - 4)) conv=notrunc status=none' $Path $Size
    Get-Item -LiteralPath $Path
}
