# Runs a fresh pwsh as another user, for tests that must see what an unprivileged user gets
# (cp -a as nobody, a read-only file without -Force). Dot-source it in BeforeDiscovery (for
# $UnprivilegedSkip, the reason the runs cannot happen here, or $null) and in BeforeAll.
# The pwsh running the tests may live where other users cannot reach it (/root/.nuget): its files
# are hard-linked into a directory of TestDrive that the user may traverse (no bytes copied), and
# that copy is started with `dotnet pwsh.dll`, since a hard link keeps the apphost's mode.

# Why an unprivileged run cannot happen here, or $null.
function Get-UnprivilegedSkipReason {
    if (-not $IsLinux) { return 'the unprivileged runs are Linux-only' }
    if ((id -u) -ne '0') { return 'switching to another user needs root' }
    foreach ($tool in 'setpriv', 'useradd', 'userdel', 'dotnet') {
        if (-not (Get-Command $tool -ErrorAction Ignore)) { return "$tool is missing" }
    }
    $null
}

# Users are made and removed as the attack suites make them (New-AttackUser, Remove-AttackUser),
# with names of the caller's own prefix.
. (Join-Path $PSScriptRoot 'Attack.ps1')
Import-Module (Join-Path $PSScriptRoot 'FreshPwsh.psm1') -Force

# Hard-links pwsh's directory under $Root (once) and returns the copy's pwsh.dll.
function Get-ReachablePwsh([string] $Root) {
    $copy = Join-Path $Root 'pwsh-for-users'
    if (-not (Test-Path -LiteralPath $copy)) {
        # Hard links share the files' modes (readable by all): nothing of the original changes.
        cp -al -- $PSHOME $copy 2>$null
        if ($LASTEXITCODE -ne 0) {
            Remove-Item -LiteralPath $copy -Recurse -Force -ErrorAction Ignore
            cp -a -- $PSHOME $copy # another file system: a real copy
            if ($LASTEXITCODE -ne 0) { throw "cp -a $PSHOME failed" }
        }
    }
    Join-Path $copy 'pwsh.dll'
}

# Invoke-FreshPwsh as $User: no capabilities, no
# supplementary groups, HOME in a private directory of its own. -Json as in Invoke-FreshPwsh.
function Invoke-PwshAsUser {
    param(
        [Parameter(Mandatory)] $User, # from New-AttackUser, or a name such as nobody
        [Parameter(Mandatory)] [string] $Script,
        [Parameter(Mandatory)] [string] $Root,
        [string[]] $ArgumentList = @(),
        [switch] $Json
    )
    $uid = if ($User -is [string]) { [int](id -u $User) } else { $User.Uid }
    $gid = if ($User -is [string]) { [int](id -g $User) } else { $User.Gid }
    $pwshDll = Get-ReachablePwsh $Root
    $userHome = Join-Path $Root "home-$uid"
    if (-not (Test-Path -LiteralPath $userHome)) {
        New-Item -ItemType Directory -Path $userHome | Out-Null
        chown "${uid}:${gid}" -- $userHome
    }
    # Invoke-FreshPwsh appends its own pwsh command line; the wrapper drops it and starts the copy.
    $wrapper = @('bash', '-c', 'while [ "$1" != -NoProfile ]; do shift; done; exec setpriv --reuid="$U" --regid="$G" --clear-groups --inh-caps=-all --bounding-set=-all -- dotnet "$P" "$@"', 'as-user')
    $fresh = @{ Script = $Script; Wrapper = $wrapper; ArgumentList = $ArgumentList; WorkingDirectory = $Root; Json = $Json
        Environment = @{ U = $uid; G = $gid; P = $pwshDll; HOME = $userHome; DOTNET_CLI_HOME = $userHome } }
    Invoke-FreshPwsh @fresh
}

$script:UnprivilegedSkip = Get-UnprivilegedSkipReason
