#Requires -Version 7.4
<#
.SYNOPSIS
    Packs the built module (out/SpliceModule) with its LICENSE into <OutputPath>/SpliceModule.<version>.nupkg,
    the package Install-PSResource installs from a folder repository.
.DESCRIPTION
    Uses Compress-PSResource (PSResourceGet 1.1 or later, part of PowerShell 7.5 and later), which
    validates the manifest and writes the nuspec from it. PSResourceGet writes its repository list
    to the user's data folder on first use; this script points that at a temporary folder so that
    packing leaves the user's configuration alone. Run it in a fresh pwsh (build.ps1 -Task
    Package does), before anything else has loaded PSResourceGet.
.EXAMPLE
    pwsh -NoProfile -File tools/New-ModulePackage.ps1 -ModulePath out/SpliceModule -OutputPath out
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $OutputPath,
    [string] $LicensePath = (Join-Path $PSScriptRoot '../LICENSE')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModulePath = (Resolve-Path -LiteralPath $ModulePath).Path
$name = Split-Path $ModulePath -Leaf
$version = (Import-PowerShellDataFile -LiteralPath (Join-Path $ModulePath "$name.psd1")).ModuleVersion
New-Item -ItemType Directory -Path $OutputPath -Force | Out-Null
$OutputPath = (Resolve-Path -LiteralPath $OutputPath).Path

$scratch = Join-Path ([IO.Path]::GetTempPath()) "splicemodule-package-$([guid]::NewGuid().ToString('N'))"
$savedDataHome = $env:XDG_DATA_HOME
try {
    # .NET names a data folder only once it exists; without it PSResourceGet writes into the current directory.
    $env:XDG_DATA_HOME = (New-Item -ItemType Directory -Path (Join-Path $scratch 'data') -Force).FullName
    Import-Module Microsoft.PowerShell.PSResourceGet -MinimumVersion 1.1.0
    if (-not (Get-Command Compress-PSResource -ErrorAction Ignore)) {
        throw 'Packaging needs Compress-PSResource (Microsoft.PowerShell.PSResourceGet 1.1 or later, part of PowerShell 7.5 and later).'
    }

    # Stage the module under its own name with the licence beside it; the package is that folder.
    $stage = Join-Path $scratch $name
    Copy-Item -LiteralPath $ModulePath -Destination $stage -Recurse
    if (Test-Path -LiteralPath $LicensePath) { Copy-Item -LiteralPath $LicensePath -Destination (Join-Path $stage 'LICENSE') }

    $packages = Join-Path $scratch 'packages'
    New-Item -ItemType Directory -Path $packages | Out-Null
    Compress-PSResource -Path $stage -DestinationPath $packages
    $package = Join-Path $packages "$name.$version.nupkg"
    if (-not (Test-Path -LiteralPath $package)) { throw "Compress-PSResource did not write $name.$version.nupkg." }
    $target = Join-Path $OutputPath "$name.$version.nupkg"
    Move-Item -LiteralPath $package -Destination $target -Force
    Write-Host "Packed $target"
    $target
}
finally {
    $env:XDG_DATA_HOME = $savedDataHome
    Remove-Item -LiteralPath $scratch -Recurse -Force -ErrorAction SilentlyContinue
}
