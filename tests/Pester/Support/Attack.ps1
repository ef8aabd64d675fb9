# Shared by the Security.*.Tests.ps1 files: an unprivileged attacker (and a second user who only
# reads) racing a copy that root runs. Dot-source it in BeforeDiscovery (for Get-AttackSkipReason)
# and in BeforeAll. Everything started here is stopped here: racers are bounded in time and count
# by themselves (Support/Racers/racer.py) and killed by Stop-Racer; the users and the fs.protected_*
# settings are put back by Exit-AttackSuite.

$script:AttackerName = 'splicemod-attacker'
$script:ReaderName = 'splicemod-reader'
$script:AttackPython = '/usr/bin/python3'

# Why the attacks cannot run here, or $null.
function Get-AttackSkipReason {
    if (-not $IsLinux) { return 'the attacks are Linux-only' }
    if ((id -u) -ne '0') { return 'the attacks need root (users, setpriv, fs.protected_* settings)' }
    foreach ($tool in 'setpriv', 'useradd', 'userdel', 'mkfifo', 'find') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) { return "$tool is missing" }
    }
    if (-not (Test-Path -LiteralPath $AttackPython)) { return "$AttackPython is missing (the racers are Python scripts that other users must be able to run)" }
    $null
}

# A system user without home or shell; one left behind by an earlier run that was killed is reused.
function New-AttackUser([string] $Name) {
    getent passwd $Name *> $null
    if ($LASTEXITCODE -ne 0) {
        useradd --system --no-create-home --shell /usr/sbin/nologin --user-group $Name
        if ($LASTEXITCODE -ne 0) { throw "useradd $Name failed" }
    }
    [pscustomobject]@{ Name = $Name; Uid = [int](id -u $Name); Gid = [int](id -g $Name) }
}

function Remove-AttackUser($User) {
    if (-not $User) { return }
    userdel $User.Name 2>$null
    getent group $User.Name *> $null
    if ($LASTEXITCODE -eq 0) { groupdel $User.Name 2>$null }
}

# Sets the fs.protected_* sysctls to 0 (the kernel's own defences would hide what the module does)
# and returns what they were, for Exit-AttackSuite.
function Disable-ProtectedLinks {
    $saved = [ordered]@{}
    foreach ($name in 'protected_symlinks', 'protected_fifos', 'protected_regular') {
        $path = "/proc/sys/fs/$name"
        if (Test-Path -LiteralPath $path) {
            $saved[$path] = [IO.File]::ReadAllText($path).Trim()
            [IO.File]::WriteAllText($path, '0')
        }
    }
    $saved
}

# Users, settings and a directory of racers for one test file; undone by Exit-AttackSuite.
function Enter-AttackSuite {
    $suite = [pscustomobject]@{
        Attacker = New-AttackUser $AttackerName
        Reader = New-AttackUser $ReaderName
        Sysctls = Disable-ProtectedLinks
        # The racers run from a copy that the test users can read wherever the checkout is.
        Racers = Join-Path $TestDrive 'racers'
        Root = $TestDrive
    }
    Grant-Traverse $TestDrive
    New-Item -ItemType Directory -Path $suite.Racers -Force | Out-Null
    Copy-Item -Path (Join-Path $PSScriptRoot 'Racers/*.py') -Destination $suite.Racers
    chmod -R a+rX $suite.Racers
    $suite
}

function Exit-AttackSuite($Suite) {
    if (-not $Suite) { return }
    foreach ($path in $Suite.Sysctls.Keys) { [IO.File]::WriteAllText($path, $Suite.Sysctls[$path]) }
    Remove-AttackUser $Suite.Attacker
    Remove-AttackUser $Suite.Reader
}

# Makes every directory from / down to $Path traversable by other users; only directories under
# TestDrive (which this suite made) are changed, anything above that is not traversable is an error.
function Grant-Traverse([string] $Path) {
    $full = [IO.Path]::GetFullPath($Path)
    $parts = $full.Trim('/').Split('/')
    $current = ''
    foreach ($part in $parts) {
        $current += "/$part"
        $mode = [int][IO.File]::GetUnixFileMode($current)
        if (($mode -band 1) -eq 0) {
            if ($current.StartsWith([IO.Path]::GetFullPath($TestDrive))) { chmod o+x -- $current }
            else { throw "$current is not traversable by other users; the attacks need it to be" }
        }
    }
}

# Sets an octal mode without starting a process (chmod(1) costs some 30 ms a call from pwsh).
function Set-Mode([string] $Path, [string] $Mode) {
    [IO.File]::SetUnixFileMode($Path, [IO.UnixFileMode][Convert]::ToInt32($Mode, 8))
}

# A new directory with an owner (a user object from New-AttackUser, or $null for root) and a mode.
function New-OwnedDirectory([string] $Path, $Owner = $null, [string] $Mode = '755') {
    $null = [IO.Directory]::CreateDirectory($Path)
    if ($Owner) { chown "$($Owner.Uid):$($Owner.Gid)" -- $Path }
    Set-Mode $Path $Mode
    $Path
}

# A file with the given text (or bytes), owner and mode.
function New-OwnedFile([string] $Path, $Content, $Owner = $null, [string] $Mode = '644') {
    if ($Content -is [byte[]]) { [IO.File]::WriteAllBytes($Path, $Content) } else { [IO.File]::WriteAllText($Path, [string]$Content) }
    if ($Owner) { chown "$($Owner.Uid):$($Owner.Gid)" -- $Path }
    Set-Mode $Path $Mode
    $Path
}

# A tree built in one Python process (Racers/make_tree.py; see there for the parameters), as
# $Owner when given (so that the attacker's tree is the attacker's without a chown).
function New-FileTree {
    param(
        [Parameter(Mandatory)] $Suite,
        [Parameter(Mandatory)] [string] $Root,
        $Owner = $null,
        [int] $Dirs = 0,
        [int] $Files = 0,
        [string] $DirName = 'd{d:02}',
        [string] $FileName = 'f{f:02}',
        [string] $Text = 'file {d}/{f}\n',
        [string] $DirMode = '755',
        [string] $FileMode = '644',
        [string] $RootMode,
        [string[]] $Also = @()
    )
    $arguments = @((Join-Path $Suite.Racers 'make_tree.py'), '--root', $Root, '--dirs', $Dirs, '--files', $Files, '--dir-name', $DirName,
        '--file-name', $FileName, '--text', $Text, '--dir-mode', $DirMode, '--file-mode', $FileMode)
    if ($RootMode) { $arguments += '--root-mode', $RootMode }
    foreach ($item in $Also) { $arguments += '--also', $item }
    if ($Owner) { setpriv "--reuid=$($Owner.Uid)" "--regid=$($Owner.Gid)" --clear-groups -- $AttackPython @arguments }
    else { & $AttackPython @arguments }
    if ($LASTEXITCODE -ne 0) { throw "make_tree.py failed for $Root" }
    $Root
}

# A tmpfs of its own under TestDrive, for races that make and rename many files: on a busy disk
# the attacker's renames are too slow to race anything. Falls back to a plain directory where
# mounting is not possible. Remove-Scratch unmounts it.
function New-Scratch([string] $Name, [string] $Size = '1g') {
    $path = New-OwnedDirectory (Join-Path $TestDrive $Name)
    mount -t tmpfs -o "size=$Size,mode=0755" splicemodule-attack $path 2>$null
    [pscustomobject]@{ Path = $path; Mounted = ($LASTEXITCODE -eq 0) }
}

function Remove-Scratch($Scratch) {
    if ($Scratch -and $Scratch.Mounted) {
        umount $Scratch.Path 2>$null
        if ($LASTEXITCODE -ne 0) { umount -l $Scratch.Path 2>$null }
    }
}

# Removes a tree in one process, never following links nor leaving the file system (a removal by
# pwsh of thousands of files takes seconds).
function Remove-Tree([string] $Path) {
    if ($Path -and (Test-Path -LiteralPath $Path)) { rm -rf --one-file-system -- $Path }
}

# Unix-domain socket files (bound, then closed: the file stays), in one process.
function New-SocketFile([string[]] $Path) {
    & $AttackPython -c 'import socket, sys
for path in sys.argv[1:]:
    s = socket.socket(socket.AF_UNIX)
    s.bind(path)
    s.close()' @Path
}

function Get-Sha([string] $Path) { (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash }

# What a path is, not following a link: "type mode uid gid size" (e.g. "regular file 644 0 0 12").
function Get-Stat([string] $Path) { stat -c '%F %a %u %g %s' -- $Path 2>$null }

# How a file looks from outside: its stat line and, for a regular file, its hash.
function Get-Fingerprint([string] $Path) {
    $stat = Get-Stat $Path
    if ($stat -like 'regular*') { "$stat $(Get-Sha $Path)" } else { $stat }
}

# Every item under $Root (root included), one sorted line each: relative path, type, mode, owner,
# group, size (not for directories, whose size depends on their history), link target, and the
# hash of regular files. Links are not followed. -NoOwner leaves owner and group out (to compare a
# copy that root owns with its source).
function Get-TreeSnapshot([string] $Root, [switch] $NoOwner) {
    if (-not (Test-Path -LiteralPath $Root)) { return @() }
    $hashes = @{}
    find $Root -type f -print0 | xargs -0 -r sha256sum | ForEach-Object {
        $hash, $file = $_ -split '  ', 2
        $hashes[$file] = $hash
    }
    $format = if ($NoOwner) { '%p\t%P\t%y %m %s %l\n' } else { '%p\t%P\t%y %m %U %G %s %l\n' }
    @(find $Root -printf $format | ForEach-Object {
        $full, $relative, $rest = $_ -split "`t", 3
        if ($rest -like 'd *') { $rest = $rest -replace ' \d+ $', ' ' }
        "$relative $rest $($hashes[$full])"
    } | Sort-Object)
}

# Relative path ('' for $Root itself) => octal mode of every item under $Root (links not followed).
function Get-TreeModes([string] $Root) {
    $modes = @{}
    find $Root -printf '%P\t%m\n' 2>$null | ForEach-Object { $relative, $mode = $_ -split "`t"; $modes[$relative] = $mode }
    $modes
}

# True when mode $Mode has no bit that $Limit lacks (both octal strings).
function Test-ModeWithin([string] $Mode, [string] $Limit) {
    ([Convert]::ToInt32($Mode, 8) -band -bnot [Convert]::ToInt32($Limit, 8)) -eq 0
}

# Items under $Copy (and $Copy itself, as '.') whose mode has a bit that the source item of the
# same relative path lacks; items without a source (temporary files) are left out.
function Get-WiderModes([string] $Copy, [string] $Source, [string[]] $Ignore = @()) {
    $sourceModes = Get-TreeModes $Source
    $copyModes = Get-TreeModes $Copy
    foreach ($relative in $copyModes.Keys) {
        if ($relative -in $Ignore) { continue }
        $limit = $sourceModes[$relative]
        if ($null -eq $limit) { continue }
        if (-not (Test-ModeWithin $copyModes[$relative] $limit)) { "$(if ($relative) { $relative } else { '.' }) $($copyModes[$relative]) (source $limit)" }
    }
}

# Starts Racers/<Script> as $User with setpriv (as this process's user when $User is $null),
# bounded by -Seconds and -Max, with its ready, stop, result and events files in $WorkDir (which the
# user must be able to write). Waits until it is ready. Returns an object for Stop-Racer and
# Get-RacerResult.
function Start-Racer {
    param(
        [Parameter(Mandatory)] $Suite,
        [Parameter(Mandatory)] [string] $Script,
        [Parameter(Mandatory)] [AllowNull()] $User,
        [Parameter(Mandatory)] [string] $WorkDir,
        [string[]] $Arguments = @(),
        [double] $Seconds = 5,
        [int] $Max = 1000000,
        [double] $ReadySeconds = 10
    )
    $tag = [guid]::NewGuid().ToString('N').Substring(0, 8)
    $racer = [pscustomobject]@{
        Name = $Script
        Ready = Join-Path $WorkDir ".racer-$tag.ready"
        Stop = Join-Path $WorkDir ".racer-$tag.stop"
        Result = Join-Path $WorkDir ".racer-$tag.result"
        Events = Join-Path $WorkDir ".racer-$tag.events"
        Process = $null
        Stderr = $null
    }
    $start = [Diagnostics.ProcessStartInfo]::new($(if ($User) { 'setpriv' } else { $AttackPython }))
    $prefix = if ($User) { @("--reuid=$($User.Uid)", "--regid=$($User.Gid)", '--clear-groups', '--', $AttackPython) } else { @() }
    foreach ($argument in $prefix + @((Join-Path $Suite.Racers $Script)) + $Arguments +
        @('--seconds', [string]$Seconds, '--max', [string]$Max, '--ready', $racer.Ready, '--stop', $racer.Stop, '--result', $racer.Result, '--events', $racer.Events)) {
        $start.ArgumentList.Add($argument)
    }
    $start.UseShellExecute = $false
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $racer.Process = [Diagnostics.Process]::Start($start)
    $racer.Stderr = $racer.Process.StandardError.ReadToEndAsync()
    $null = $racer.Process.StandardOutput.ReadToEndAsync()
    $clock = [Diagnostics.Stopwatch]::StartNew()
    while (-not (Test-Path -LiteralPath $racer.Ready)) {
        if ($racer.Process.HasExited -or $clock.Elapsed.TotalSeconds -gt $ReadySeconds) {
            $why = if ($racer.Process.HasExited) { "exited with $($racer.Process.ExitCode): $($racer.Stderr.Result)" } else { 'is not ready' }
            Stop-Racer $racer
            throw "The racer $Script $why"
        }
        Start-Sleep -Milliseconds 5
    }
    $racer
}

# Asks the racer to finish (stop file), waits a little, then kills it. Safe to call twice or on $null.
function Stop-Racer($Racer) {
    if (-not $Racer -or -not $Racer.Process) { return }
    $process = $Racer.Process
    try {
        if (-not $process.HasExited) {
            try { [IO.File]::WriteAllText($Racer.Stop, 'stop') } catch { }
            if (-not $process.WaitForExit(3000)) { $process.Kill($true); $null = $process.WaitForExit(5000) }
        }
    }
    finally { $process.Dispose(); $Racer.Process = $null }
}

# The racer's summary (after Stop-Racer) and the events it appended as they happened.
function Get-RacerResult($Racer) {
    $summary = if (Test-Path -LiteralPath $Racer.Result) { Get-Content -Raw -LiteralPath $Racer.Result | ConvertFrom-Json } else { $null }
    $events = if (Test-Path -LiteralPath $Racer.Events) { @(Get-Content -LiteralPath $Racer.Events | Where-Object { $_ } | ForEach-Object { $_ | ConvertFrom-Json }) } else { @() }
    [pscustomobject]@{ Summary = $summary; Events = $events; Stderr = if ($Racer.Stderr.IsCompleted) { $Racer.Stderr.Result } else { '' } }
}

# Opens a FIFO read-write for a moment: whoever is blocked in open(2) on it (either end) gets in,
# and reads end when it closes. Used to free a runspace thread that an old engine left stuck.
function Open-FifoBriefly([string] $Path) {
    & $AttackPython -c 'import os, sys, time
try:
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_NONBLOCK)
    time.sleep(0.2)
    os.close(fd)
except OSError:
    pass' $Path
}
