namespace SpliceModule.Commands;

/// <summary>The scripts the copying host runs on the far one through the session. Each calls
/// <see cref="RemoteAgent"/>; `clean` releases what it holds on every way out (Ctrl+C too). A step
/// that may wait long is waited for in slices (<see cref="Awaited"/>), so that a stop reaches `clean`.</summary>
internal static class RemoteScripts
{
    /// <summary>Waits for the <see cref="FarStep"/> in $step a slice at a time (a stop of the script
    /// lands between two), then answers its result.</summary>
    public const string Awaited = "while (-not $step.Wait()) { }; $step.Result";

    /// <summary>What the copying host must know about the far one before anything is sent.</summary>
    public const string Probe = """
        $loaded = Get-Module SpliceModule
        $info = @{ Linux = [bool]$IsLinux; PSVersion = "$($PSVersionTable.PSVersion)"; SshConnection = "$env:SSH_CONNECTION" }
        if ($loaded) {
            $info.LoadedVersion = "$($loaded.Version)"
            $info.LoadedHash = (Get-FileHash -Algorithm SHA256 -LiteralPath (Join-Path $loaded.ModuleBase 'SpliceModule.dll')).Hash
        }
        $info
        """;

    /// <summary>Imports the module from the per-user cache when every file there has the expected
    /// hash; otherwise returns the names that are missing or differ.</summary>
    public const string ImportCached = """
        param([string] $Version, [hashtable] $Hashes)
        $data = [Environment]::GetFolderPath('LocalApplicationData')
        if (-not $data) { return , @($Hashes.Keys) }
        $dir = Join-Path $data "SpliceModule/$Version"
        $missing = @(foreach ($name in $Hashes.Keys) {
            $file = Join-Path $dir $name
            if (-not (Test-Path -LiteralPath $file) -or (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash -ne $Hashes[$name]) { $name }
        })
        if ($missing.Count -eq 0) { Import-Module (Join-Path $dir 'SpliceModule.psd1') -ErrorAction Stop; 'imported' } else { , $missing }
        """;

    /// <summary>Writes one module file into the cache: a new private file, renamed into place only
    /// when it was written whole (a full disk leaves nothing at the name), without the cache
    /// where the session's user has no data directory.</summary>
    public const string CacheFile = """
        param([string] $Version, [string] $Name, [byte[]] $Bytes)
        $ErrorActionPreference = 'Stop'
        $data = [Environment]::GetFolderPath('LocalApplicationData')
        if (-not $data) { throw "the session's user has no data directory to cache SpliceModule in (HOME is '$env:HOME')" }
        $file = Join-Path $data "SpliceModule/$Version/$Name"
        $null = New-Item -ItemType Directory -Force -Path (Split-Path -Parent $file)
        $temporary = "$file.$([guid]::NewGuid().ToString('N')).partial"
        try {
            [IO.File]::WriteAllBytes($temporary, $Bytes)
            Move-Item -LiteralPath $temporary -Destination $file -Force
        }
        catch {
            Remove-Item -LiteralPath $temporary -Force -ErrorAction Ignore
            throw
        }
        """;

    /// <summary>What a -Path with wildcards names on the far host (its full paths); nothing when it
    /// matches nothing; hidden items with -Force only, as Copy-Item -FromSession. Needs no module there.</summary>
    public const string Resolve = """
        param([string] $Pattern, [bool] $Force)
        , @(Get-Item -Path $Pattern -Force:$Force -ErrorAction SilentlyContinue | ForEach-Object FullName)
        """;

    /// <summary>Whether a path on the far host is a directory (a link to one counts, as the tree
    /// copy takes it), for what -WhatIf says of it. Needs no module there.</summary>
    public const string IsDirectory = """
        param([string] $Path)
        Test-Path -LiteralPath $Path -PathType Container
        """;

    /// <summary>The receiving end of one file (ToSession); each Session chunk written answers a
    /// credit (SessionWindow).</summary>
    public const string Receive = $$"""
        param([string] $Destination, [string] $Header, [string] $Options)
        begin { $agent = [SpliceModule.Commands.RemoteAgent]::Receive($Destination, $Header, $Options); $step = $agent.Opening; {{Awaited}} }
        process { if ($_ -is [byte[]]) { $agent.Write($_) } }
        end { $step = $agent.Finishing(); {{Awaited}} }
        clean { if ($agent) { $agent.Dispose() } }
        """;

    /// <summary>The sending end of one file (FromSession); Session chunks go out as output, one
    /// array each, as many as the credits that come as input allow (SessionWindow), then the answer.</summary>
    public const string Send = $$"""
        param([string] $Path, [string] $Options)
        begin { $agent = [SpliceModule.Commands.RemoteAgent]::Send($Path, $Options); $agent.Ready }
        process { if ($_ -is [int]) { foreach ($granted in $agent.Granted($_)) { , $granted } } }
        end { if (-not $agent.ThroughSession) { $step = $agent.Finishing(); {{Awaited}} } }
        clean { if ($agent) { $agent.Dispose() } }
        """;

    /// <summary>The receiving end of a tree (ToSession): one stream (a credit answered for each
    /// Session chunk taken), then what was made and what failed.</summary>
    public const string ReceiveTree = $$"""
        param([string] $Destination, [string] $Header, [string] $Options)
        begin { $agent = [SpliceModule.Commands.RemoteTreeAgent]::Receive($Destination, $Header, $Options); $agent.Ready }
        process { if ($_ -is [byte[]]) { $agent.Write($_) } }
        end { $step = $agent.Finishing(); {{Awaited}} }
        clean { if ($agent) { $agent.Dispose() } }
        """;

    /// <summary>The sending end of a tree (FromSession): its header ("file" when the path is no
    /// directory), then the stream; Session chunks go out as output, one array each, against the
    /// credits that come as input (SessionWindow), then the answer.</summary>
    public const string SendTree = $$"""
        param([string] $Path, [string] $Options)
        begin { $agent = [SpliceModule.Commands.RemoteTreeAgent]::Send($Path, $Options); $agent.Ready }
        process { if ($_ -is [int]) { foreach ($granted in $agent.Granted($_)) { , $granted } } }
        end { if ($agent.IsTree -and -not $agent.ThroughSession) { $step = $agent.Finishing(); {{Awaited}} } }
        clean { if ($agent) { $agent.Dispose() } }
        """;
}
